import AgoraCore
import AgoraCrypto
import AgoraLedger
import AgoraState
import AgoraStorage
import Foundation

/// The mediator's view of a running node: intents and candidates from the node's SQLite intent
/// index (`StoreIntentBook`: retrieval is one index range per query word, never a scan), state
/// from the committed state cache, and proposals signed with the mediator key and admitted to
/// the node's own mempool (from where they gossip), with the intent's ID as correlation ID.
public struct StoreIntentBook: IntentBook {
    private enum Source: Sendable {
        case store(BlockStore)
        case ledger(LedgerQueries)
    }
    private let source: Source

    public init(store: BlockStore) { source = .store(store) }

    /// The intent index of a running node's chain, through its read seam.
    public init(chain: Chain) { source = .ledger(chain.queries) }

    private func retrieve(_ group: Hash, _ kind: IntentKind, _ words: [String], _ author: Address?, _ limit: Int) throws -> IntentRetrieval {
        switch source {
        case let .store(store): return try store.intentCandidates(group: group, kind: kind, words: words, excludingAuthor: author, limit: limit)
        case let .ledger(queries): return try queries.intentCandidates(group: group, kind: kind, words: words, excludingAuthor: author, limit: limit)
        }
    }

    public func candidates(for intent: BookIntent, limit: Int) throws -> Retrieval {
        let r = try retrieve(intent.group, intent.kind.complement, Array(intent.words.keys), intent.author, limit)
        let candidates = r.candidates.map { i in
            BookIntent(id: i.id, author: i.author, group: i.content.group, kind: i.content.kind, text: i.content.text, terms: i.content.terms,
                       height: i.height, words: r.termFrequencies[i.position] ?? [:], length: i.length)
        }
        return Retrieval(candidates: candidates,
                         statistics: BookStatistics(documents: r.documents, averageLength: r.averageLength,
                                                    documentFrequencies: r.documentFrequencies))
    }
}

extension BookIntent {
    public init(_ i: IndexedIntent) {
        self.init(id: i.id, author: i.author, group: i.content.group, kind: i.content.kind, text: i.content.text, terms: i.content.terms,
                  height: i.height)
    }
}

public struct ChainMediatorLedger: MediatorLedger {
    let chain: Chain
    let key: SigningKey
    /// Heights a proposal transaction stays valid in the mempool.
    let expiry: UInt64

    public init(chain: Chain, key: SigningKey, expiry: UInt64 = 100) {
        self.chain = chain
        self.key = key
        self.expiry = expiry
    }

    public var height: UInt64 { chain.snapshot.head.height }

    public func intents(after: Int64, limit: Int) throws -> [(position: Int64, intent: BookIntent)] {
        try chain.queries.intents(BlockStore.IntentQuery(status: .open, after: after, limit: limit)).map { ($0.position, BookIntent($0)) }
    }

    public func isOpen(_ id: Hash) throws -> Bool {
        try Intents.intent(id, state: chain.queries.state)?.status == .open
    }

    public func mediatorRecord() throws -> MediatorRecord? {
        try Intents.mediator(key.publicKey.address, state: chain.queries.state)
    }

    public func submit(_ payload: Payload, correlation: Hash) throws -> Hash {
        let address = key.publicKey.address
        let committed = try chain.account(address).nonce
        let nonce = chain.queries.nextNonce(sender: address, committed: committed)
        let t = chain.snapshot
        let body = TransactionBody(chainID: chain.identity.chainID, sender: key.publicKey, nonce: nonce, fee: t.params.minFee,
                                   expiresAt: t.head.height + expiry, payload: payload)
        let tx = key.sign(body)
        try chain.submit(tx, correlationID: correlation.hex)
        return tx.id
    }
}
