import AgoraCore

/// What can go wrong with the node's data directory. Each case names the file or record.
public enum StorageError: Error, CustomStringConvertible {
    case open(path: String, reason: String)
    case sqlite(operation: String, reason: String)
    case notInitialized(path: String)
    case alreadyInitialized(path: String)
    case otherChain(path: String, stored: String, expected: String)
    case corrupt(what: String)
    case notNextHeight(expected: UInt64, got: UInt64)

    public var description: String {
        switch self {
        case let .open(p, r): return "cannot open database \(p): \(r)"
        case let .sqlite(op, r): return "database \(op) failed: \(r)"
        case let .notInitialized(p): return "data directory \(p) holds no chain: run `agora init` first"
        case let .alreadyInitialized(p): return "data directory \(p) already holds a chain"
        case let .otherChain(p, s, e): return "data directory \(p) belongs to chain \(s), not \(e)"
        case let .corrupt(what): return "stored data is inconsistent: \(what)"
        case let .notNextHeight(e, g): return "block height \(g) does not follow the head (expected \(e))"
        }
    }
}
