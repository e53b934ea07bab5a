// Tests of HashedTreePage: its precomputed nodes are `TreePage.node`'s for every aligned range
// of random pages, and proofs walked through hashed pages verify for members and absent keys.
import Testing
@testable import AgoraCore
@testable import AgoraState

@Suite("Hashed tree pages")
struct HashedTreePageTests {
    /// A page with each slot empty, a leaf or a child page at random (seeded).
    static func randomPage(_ r: inout SplitMix64) -> TreePage {
        var page = TreePage()
        let density = 1 + r.next() % 4
        for s in 0..<16 {
            switch r.next() % (density + 1) {
            case 0: page.slots[s] = .empty
            case 1: page.slots[s] = .page(hash: Hash.sha256(Array("child\(r.next())".utf8)), version: r.next() % 100)
            default:
                let value = Array("value\(r.next() % 1_000)".utf8)
                page.slots[s] = .leaf(keyHash: Hash.sha256(Array("key\(r.next())".utf8)), value: value)
            }
        }
        return page
    }

    @Test("every aligned range's kind and hash equal TreePage.node's", arguments: 0..<8)
    func nodesMatch(seed: Int) {
        var r = SplitMix64(seed: UInt64(seed))
        for _ in 0..<40 {
            let page = Self.randomPage(&r)
            let hashed = HashedTreePage(page)
            #expect(hashed.hash == page.hash)
            var width = 16
            while width >= 1 {
                for lo in stride(from: 0, to: 16, by: width) {
                    let plain = page.node(lo, lo + width)
                    let fast = hashed.node(lo, lo + width)
                    #expect(fast.kind == plain.kind && fast.hash == plain.hash, "\(lo)..<\(lo + width)")
                }
                width /= 2
            }
        }
    }

    @Test("proofs through hashed pages verify against the root for members and absent keys", arguments: 0..<4)
    func proofsVerify(seed: Int) throws {
        var r = SplitMix64(seed: UInt64(seed))
        var nodes = MemoryTreeNodes()
        var state: [StateKey: [UInt8]] = [:]
        let n = 50 + Int(r.next() % 400)
        for i in 0..<n { state[StateTreeTests.key(i)] = Array("v\(r.next() % 1_000)".utf8) }
        let update = try StateTree.update(nodes, base: nil, version: 0, writes: WriteSet(entries: state.map { StateTreeTests.write($0.key, $0.value) }))
        nodes.apply(update)
        for i in 0..<(n + 50) {
            let key = StateTreeTests.key(i).bytes
            let proven = try StateTree.prove(nodes, key: key, version: 0)
            #expect(proven.root == update.root)
            #expect(proven.value == state[StateTreeTests.key(i)])
            try proven.proof.verify(key: key, value: proven.value, root: update.root)
        }
    }
}
