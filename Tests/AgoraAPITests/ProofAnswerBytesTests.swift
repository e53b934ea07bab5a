// Tests of the proof route's written answers (StateProofJSON, ProofAnswerCache): the bytes
// served from a cached height part are the bytes of a fresh one, decode to the view the route
// used to encode, verify with the light client, and the cache stays bounded.
import AgoraAPI
import AgoraAPIModels
import AgoraClient
import AgoraCore
import AgoraCrypto
import AgoraLedger
import AgoraState
import Foundation
import HummingbirdTesting
import Testing

@Suite("API: state proof answer bytes")
struct ProofAnswerBytesTests {
    /// A chain of `blocks` blocks in which alice funds `accounts` seeded-random addresses.
    static func chain(seed: UInt64, accounts: Int, blocks: Int) throws -> (APIHarness, [Address]) {
        let h = try APIHarness()
        var r = SplitMix64(seed: seed)
        var addresses: [Address] = []
        var nonce: UInt64 = 0
        for b in 0..<blocks {
            for _ in 0..<(accounts / blocks) {
                let to = Address(raw: (0..<20).map { _ in UInt8(truncatingIfNeeded: r.next()) })
                addresses.append(to)
                let admitted = h.chain.admit(batch: [h.transfer(nonce, to: to, amount: 1 + r.next() % 50)])
                #expect(admitted.allSatisfy { if case .success = $0 { true } else { false } })
                nonce += 1
            }
            try h.chain.produceBlock(now: UInt64(2 + b) * 1_000)
        }
        return (h, addresses)
    }

    @Test("answers from cached height parts are byte-identical to fresh ones and decode to the view, for many keys and heights", arguments: 0..<3)
    func cachedEqualsFresh(seed: Int) async throws {
        let (h, addresses) = try Self.chain(seed: UInt64(seed), accounts: 40, blocks: 4)
        var r = SplitMix64(seed: UInt64(seed) &+ 99)
        let absent = (0..<10).map { _ in StateKey("bank/acct/", (0..<20).map { _ in UInt8(truncatingIfNeeded: r.next()) }) }
        let keys = addresses.map { BankKeys.account($0) } + absent + [BankKeys.account(h.alice.address)]
        let asks = (0..<120).map { _ in (keys[Int(r.next() % UInt64(keys.count))], 1 + r.next() % 4) }
        try await h.app.test(.router) { client in
            for (key, height) in asks {
                let uri = "/api/v1/proofs/state?key=\(Hex.encode(key.bytes))&height=\(height)"
                // Twice: the first answer may write the height's part, the second reads it back.
                for _ in 0..<2 {
                    let served = try await client.execute(uri: uri, method: .get) { r in
                        #expect(r.status == .ok)
                        return Array(buffer: r.body)
                    }
                    let proven = try h.chain.queries.proveState(key: key, height: height)
                    let fresh = API.StateProofJSON.answer(key: key.bytes, value: proven.value, proof: proven.proof, proofBytes: proven.proof.canonicalBytes,
                                                          part: .init(header: proven.header, commit: proven.seal))
                    #expect(served == fresh)
                    let view = API.StateProofView(key: key.bytes, height: height, value: proven.value, proof: proven.proof,
                                                  header: proven.header, commit: proven.seal)
                    #expect(try JSONDecoder().decode(API.StateProofView.self, from: Data(served)) == view)
                }
            }
        }
        #expect(h.deps.proofAnswers.count <= 4)
    }

    @Test("written answers, present and absent keys, verify with the light client from genesis")
    func lightClientVerifies() async throws {
        let (h, addresses) = try Self.chain(seed: 7, accounts: 12, blocks: 3)
        let genesis = try ValidatorSet([Validator(publicKey: h.validator.publicKey, power: 1)])
        let keys = addresses.prefix(6).map { BankKeys.account($0) } + [StateKey("bank/acct/", [UInt8](repeating: 9, count: 20))]
        try await h.app.test(.router) { client in
            var blocks: [UInt64: LightBlock] = [:]
            for height in UInt64(1)...3 {
                blocks[height] = try await client.execute(uri: "/api/v1/light-blocks/\(height)", method: .get) { r in
                    try LightBlock(view: decode(API.LightBlockView.self, r.body))
                }
            }
            let source = LightClientEndpointTests.Served(blocks: blocks)
            var light = try await LightClient(root: .genesis(chainID: "api-test", validators: genesis, genesisTime: 1_000), source: source)
            for (i, key) in keys.enumerated() {
                let height = UInt64(1 + i % 3)
                let view = try await client.execute(uri: "/api/v1/proofs/state?key=\(Hex.encode(key.bytes))&height=\(height)", method: .get) { r in
                    try decode(API.StateProofView.self, r.body)
                }
                let verified = try await light.verify(try StateAnswer(view: view), askedKey: key.bytes, source: source)
                #expect(verified.height == height)
                #expect(verified.value == (try h.chain.queries.proveState(key: key, height: height)).value)
                if i == keys.count - 1 { #expect(verified.value == nil) } else { #expect(verified.value != nil) }
            }
        }
    }

    @Test("the height-part cache holds at most its capacity however many heights are asked")
    func bounded() throws {
        let (h, _) = try Self.chain(seed: 3, accounts: 3, blocks: 3)
        let cache = ProofAnswerCache(heights: 4)
        let proven = try h.chain.queries.proveState(key: BankKeys.account(h.alice.address), height: 2)
        for height in UInt64(1)...200 {
            var header = proven.header
            header.height = height
            var commit = proven.seal
            commit.height = height
            let part = cache.part(header: header, commit: commit)
            #expect(part.height == height)
            #expect(cache.count <= 4)
        }
        // A held height answers with the part written for it, not another height's.
        let again = cache.part(header: proven.header, commit: proven.seal)
        #expect(again == API.StateProofJSON.HeightPart(header: proven.header, commit: proven.seal))
    }
}
