import AgoraCore

/// A state key: a module prefix (`bank/acct/`, `bank/supply`, …) then the module's own bytes.
/// Keys sort bytewise, and the write set of a block is hashed in that order.
public struct StateKey: Hashable, Comparable, Sendable {
    public let bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public init(_ prefix: String, _ suffix: [UInt8] = []) { bytes = Array(prefix.utf8) + suffix }

    public static func < (a: StateKey, b: StateKey) -> Bool { a.bytes.lexicographicallyPrecedes(b.bytes) }
}

/// Read access to committed state. Storage implements it over SQLite; tests over a dictionary.
public protocol StateReader: Sendable {
    func value(for key: StateKey) throws -> [UInt8]?
}

/// An in-memory state, for tests, benchmarks and genesis.
public struct MemoryState: StateReader {
    public var entries: [StateKey: [UInt8]]
    public init(_ entries: [StateKey: [UInt8]] = [:]) { self.entries = entries }
    public func value(for key: StateKey) throws -> [UInt8]? { entries[key] }

    public mutating func apply(_ writes: WriteSet) {
        for w in writes.entries { entries[w.key] = w.value }
    }
}

/// One block's changes, sorted by key: what storage commits and what the state root hashes.
public struct WriteSet: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public let key: StateKey
        /// nil deletes the key.
        public let value: [UInt8]?
        /// What the key held before the block (nil if absent): for the state digest.
        public let previous: [UInt8]?
    }

    public let entries: [Entry]

    public init(entries: [Entry]) { self.entries = entries.sorted { $0.key < $1.key } }

    /// Entries whose value actually changed.
    public var count: Int { entries.count }
}
