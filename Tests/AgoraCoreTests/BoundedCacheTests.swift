import AgoraCore
import Testing

/// The bounded cache never holds more than its capacity, keeps what was used lately, and
/// forgets what was not.
@Suite("Bounded cache")
struct BoundedCacheTests {
    @Test("it never holds more than its capacity, whatever the order of inserts and lookups")
    func bounded() {
        var rng = SplitMix64(seed: 7)
        for capacity in [2, 3, 10, 64] {
            var cache = BoundedCache<Int, Int>(capacity: capacity)
            for _ in 0..<5_000 {
                let k = Int(rng.next() % 200)
                if rng.next() % 2 == 0 { cache.insert(k, k * 3) } else if let v = cache.value(k) { #expect(v == k * 3) }
                #expect(cache.count <= capacity)
            }
        }
    }

    @Test("an entry used within the last capacity/2 inserts survives; one never used again is forgotten")
    func recentSurvives() {
        var cache = BoundedCache<Int, String>(capacity: 8)
        cache.insert(0, "hot")
        for k in 1...100 {
            cache.insert(k, "\(k)")
            #expect(cache.value(0) == "hot", "after \(k) inserts")
        }
        #expect(cache.value(1) == nil)
        #expect(cache.value(100) == "100")
    }

    @Test("inserting a key again replaces its value without growing")
    func replace() {
        var cache = BoundedCache<String, Int>(capacity: 4)
        cache.insert("a", 1)
        cache.insert("a", 2)
        #expect(cache.value("a") == 2)
        #expect(cache.count == 1)
    }
}
