/// A map that holds at most `capacity` entries and forgets those not used lately: two
/// generations, the young one taking every insert and every hit found in the old one; when the
/// young generation holds half the capacity it becomes the old one and the previous old one is
/// dropped whole. An entry used in either of the last two generations survives, so it behaves
/// like an LRU without a list to keep in order: a lookup and an insert are one or two
/// dictionary operations, which matters on paths that serve thousands of requests a second.
///
/// A value type with no lock: a shared cache wraps it in a `Mutex`. Only for values that never
/// change under their key (committed heights, pages by path and version): nothing invalidates.
public struct BoundedCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    public let capacity: Int
    private var young: [Key: Value] = [:]
    private var old: [Key: Value] = [:]

    /// At least 2 entries (one per generation).
    public init(capacity: Int) {
        self.capacity = max(2, capacity)
    }

    /// Entries held now (at most `capacity`).
    public var count: Int { young.count + old.count }

    /// The value under `key`, renewing it (an old entry moves to the young generation).
    public mutating func value(_ key: Key) -> Value? {
        if let v = young[key] { return v }
        guard let v = old.removeValue(forKey: key) else { return nil }
        insert(key, v)
        return v
    }

    public mutating func insert(_ key: Key, _ value: Value) {
        if young[key] == nil, young.count >= capacity / 2 {
            old = young
            young = [:]
        }
        young[key] = value
    }
}
