import AgoraCore

/// How consensus reaches peers. The P2P layer (`PeerService`) implements it; a node without a
/// network (a single-validator `agora dev` chain) has none, and its messages go nowhere.
public protocol ConsensusTransport: Sendable {
    /// Sends consensus bytes to every connected peer but `except` (the peer it came from).
    func broadcastConsensus(_ bytes: [UInt8], except: Hash?)
    /// Sends consensus bytes to one peer.
    func sendConsensus(_ bytes: [UInt8], to peer: Hash)
    /// A peer sent something that can only come from a faulty or malicious node.
    func consensusFault(_ peer: Hash, _ reason: String)
}

/// What happened to one inbound consensus message, for the network layer: relay what was
/// accepted, lower the trust of a sender of invalid messages, and do nothing for the rest.
public enum ConsensusVerdict: Sendable, Equatable {
    /// New and well-formed: handed to consensus; relay it.
    case accepted
    /// Seen before at this height.
    case duplicate
    /// Harmless but useless here (another height, a status); `reason` is a metric label.
    case ignored(String)
    /// Cannot come from an honest node: undecodable, badly signed, another chain, a
    /// non-validator. `reason` is a metric label.
    case invalid(String)
}
