import AgoraCore

/// Pending changes on top of committed state while a block executes.
///
/// Reads fall through to the base once per key and are cached; writes stay here until the block
/// is done and become its `WriteSet`. `savepoint`/`rollback` let a transaction's payload fail
/// without undoing the fee and nonce it already paid.
public final class StateOverlay {
    let base: StateReader
    private var current: [StateKey: [UInt8]?] = [:]
    /// Value in the base for every key touched, for the digest and to drop no-op writes.
    private var original: [StateKey: [UInt8]?] = [:]
    private var journal: [(StateKey, [UInt8]??)] = []
    private var savepoints: [Int] = []

    public init(base: StateReader) { self.base = base }

    public func get(_ key: StateKey) throws -> [UInt8]? {
        if let v = current[key] { return v }
        let v = try base.value(for: key)
        current[key] = .some(v)
        original[key] = .some(v)
        return v
    }

    /// The same value `get` returns, without remembering the key: for a read of many keys once
    /// (a tally's bonds over the whole validator set) where caching each would cost more than
    /// the read. Never changes what a later `get`, `set` or `writeSet` sees.
    public func peek(_ key: StateKey) throws -> [UInt8]? {
        if let v = current[key] { return v }
        return try base.value(for: key)
    }

    public func set(_ key: StateKey, _ value: [UInt8]?) throws {
        if original[key] == nil {
            let v = try base.value(for: key)
            original[key] = .some(v)
            if current[key] == nil { current[key] = .some(v) }
        }
        if !savepoints.isEmpty { journal.append((key, current[key])) }
        current[key] = .some(value)
    }

    public func savepoint() { savepoints.append(journal.count) }

    public func release() {
        let mark = savepoints.removeLast()
        if savepoints.isEmpty { journal.removeSubrange(mark...) }
    }

    public func rollback() {
        let mark = savepoints.removeLast()
        while journal.count > mark {
            let (key, previous) = journal.removeLast()
            current[key] = previous
        }
    }

    /// Everything that differs from the base, sorted.
    public func writeSet() -> WriteSet {
        var entries: [WriteSet.Entry] = []
        entries.reserveCapacity(original.count)
        for (key, before) in original {
            guard let now = current[key] else { continue }
            if now != before { entries.append(.init(key: key, value: now, previous: before)) }
        }
        return WriteSet(entries: entries)
    }
}

/// Reads through an overlay's base plus a write set already applied on top (used to serve
/// reads of a block that executed but is not yet in storage).
public struct LayeredState: StateReader {
    public let base: StateReader
    public let top: [StateKey: [UInt8]?]

    public init(base: StateReader, writes: WriteSet) {
        self.base = base
        var t: [StateKey: [UInt8]?] = [:]
        for e in writes.entries { t[e.key] = .some(e.value) }
        top = t
    }

    public func value(for key: StateKey) throws -> [UInt8]? {
        if let v = top[key] { return v }
        return try base.value(for: key)
    }
}
