import AgoraCore
import AgoraState
import Synchronization

/// Committed state as the block producer reads it: an in-memory map in front of SQLite.
///
/// Executing a block reads every touched account; one SQLite lookup each would cost more than
/// the signature checks we are trying to stay under. The cache is filled on miss and updated
/// with each committed write set, so it never differs from the database. It is bounded: past
/// `capacity` entries it starts over (simple, and misses are only slower, never wrong).
public final class StateCache: StateReader, Sendable {
    let store: BlockStore
    let capacity: Int
    private let entries = Mutex<[StateKey: [UInt8]?]>([:])

    public init(store: BlockStore, capacity: Int = 1_000_000) {
        self.store = store
        self.capacity = capacity
    }

    public func value(for key: StateKey) throws -> [UInt8]? {
        if let hit = entries.withLock({ $0[key] }) { return hit }
        let v = try store.stateValue(key)
        entries.withLock { map in
            if map.count >= capacity { map.removeAll(keepingCapacity: true) }
            map[key] = .some(v)
        }
        return v
    }

    /// Call after the write set is committed to storage.
    public func apply(_ writes: WriteSet) {
        entries.withLock { map in
            if map.count + writes.count > capacity { map.removeAll(keepingCapacity: true) }
            for e in writes.entries { map[e.key] = .some(e.value) }
        }
    }

    public func clear() { entries.withLock { $0.removeAll() } }
}
