import AgoraCore

/// What can go wrong with the node's data directory. Each case names the file or record, so a
/// log line, an exit message or an API error says what is wrong and where.
public enum StorageError: Error, Sendable, CustomStringConvertible {
    case open(path: String, reason: String)
    case sqlite(operation: String, reason: String)
    case notInitialized(path: String)
    case alreadyInitialized(path: String)
    case otherChain(path: String, stored: String, expected: String)
    /// A record read back does not have the shape it was written with (a missing or mistyped
    /// column, bytes that do not decode).
    case corrupt(what: String)
    /// SQLite itself reports the file damaged (`SQLITE_CORRUPT`, `SQLITE_NOTADB`).
    case malformed(path: String, operation: String, reason: String)
    /// The filesystem is full (`SQLITE_FULL`, `ENOSPC`): nothing was written.
    case diskFull(path: String, operation: String)
    /// The start-up check (`StartupCheck`) found the database inconsistent.
    case startupCheck(path: String, problem: String)
    case notNextHeight(expected: UInt64, got: UInt64)
    /// The directory was written by an agora whose chain format this binary does not read (an
    /// older block header version): refused before anything is migrated or written.
    case unsupportedFormat(path: String, found: String, supported: String)
    /// The record asked for lies below `earliest`, the lowest height whose block body this node
    /// still stores (pruning, `pruning.keepBlocks`): not damage, the data is gone on purpose.
    case pruned(what: String, earliest: UInt64)

    public var description: String {
        switch self {
        case let .open(p, r): return "cannot open database \(p): \(r)"
        case let .sqlite(op, r): return "database \(op) failed: \(r)"
        case let .notInitialized(p): return "data directory \(p) holds no chain: run `agora init` first"
        case let .alreadyInitialized(p): return "data directory \(p) already holds a chain"
        case let .otherChain(p, s, e): return "data directory \(p) belongs to chain \(s), not \(e)"
        case let .corrupt(what): return "stored data is inconsistent: \(what)"
        case let .malformed(p, op, r): return "database \(p) is damaged (\(op)): \(r)"
        case let .diskFull(p, op): return "no space left for database \(p) (\(op))"
        case let .startupCheck(p, problem): return "database \(p) failed its start-up check: \(problem)"
        case let .notNextHeight(e, g): return "block height \(g) does not follow the head (expected \(e))"
        case let .unsupportedFormat(p, found, supported):
            return "database \(p) holds a chain in \(found); this agora reads \(supported) only. "
                + "The format is not migrated in place (the state root of every header changed): start a new chain "
                + "in a new data directory (`agora init`), or run the agora release that wrote this one. Nothing was changed."
        case let .pruned(what, earliest):
            return "\(what) is pruned: this node keeps block bodies from height \(earliest) on; ask an archive node"
        }
    }

    /// Whether the error means the stored bytes cannot be trusted (as opposed to a busy or full
    /// database): the node marks itself not ready and the API answers `storage_corrupt`.
    public var isCorruption: Bool {
        switch self {
        case .corrupt, .malformed, .startupCheck: return true
        default: return false
        }
    }
}
