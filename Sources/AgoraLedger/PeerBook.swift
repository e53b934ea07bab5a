import AgoraStorage

/// Where the P2P layer keeps what it learned about peers between runs (scores, bans, addresses):
/// a table in the node's database, reached through this narrow seam so that nothing outside the
/// ledger holds the block store itself.
public struct PeerBook: Sendable {
    private let store: BlockStore

    init(store: BlockStore) { self.store = store }

    public func save(_ record: BlockStore.PeerRecord) throws { try store.savePeer(record) }
    /// The most recently seen peers first.
    public func records() throws -> [BlockStore.PeerRecord] { try store.peerRecords() }
}

extension Chain {
    /// The peer records of this node's database.
    public var peerBook: PeerBook { PeerBook(store: store) }
}
