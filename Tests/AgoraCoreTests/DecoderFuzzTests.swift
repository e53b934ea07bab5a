import Testing
@testable import AgoraCore

/// Random and mutated bytes into every decoder: none may crash, and anything that does decode
/// must re-encode to exactly the input (one value, one encoding).
@Suite("Decoder fuzzing")
struct DecoderFuzzTests {
    static let iterations = 100_000

    static func decodeAll(_ bytes: [UInt8]) {
        check(bytes) { try Transaction(bytes: $0).bytes }
        check(bytes) { try TransactionBody(canonicalBytes: $0).canonicalBytes }
        check(bytes) { try Block(canonicalBytes: $0).canonicalBytes }
        check(bytes) { try BlockHeader(canonicalBytes: $0).canonicalBytes }
        check(bytes) { try Commit(canonicalBytes: $0).canonicalBytes }
        check(bytes) { try Payload(canonicalBytes: $0).canonicalBytes }
        check(bytes) { try Vote(canonicalBytes: $0).canonicalBytes }
        check(bytes) { try ValidatorSet(canonicalBytes: $0).canonicalBytes }
        check(bytes) { try Amount(canonicalBytes: $0).canonicalBytes }
        check(bytes) { try SignedVote(canonicalBytes: $0).canonicalBytes }
        check(bytes) { try DuplicateVoteEvidence(canonicalBytes: $0).canonicalBytes }
    }

    static func check(_ bytes: [UInt8], _ roundTrip: ([UInt8]) throws -> [UInt8]) {
        if let again = try? roundTrip(bytes) {
            #expect(again == bytes, "decoded then re-encoded differently: \(Hex.encode(bytes.prefix(64)))")
        }
    }

    @Test("100,000 random and mutated inputs never crash a decoder and decoded values are canonical")
    func fuzz() {
        var r = SeededRandom(seed: 0xA60A)
        let seeds: [[UInt8]] = (0..<32).flatMap { _ in
            [Fixtures.transaction(&r).bytes, Fixtures.block(&r).canonicalBytes, Fixtures.commit(&r).canonicalBytes,
             Fixtures.payload(&r).canonicalBytes, Fixtures.block(&r, transactions: 0).header.canonicalBytes]
        }
        for i in 0..<DecoderFuzzTests.iterations {
            var input: [UInt8]
            switch i % 4 {
            case 0:
                input = r.bytes(Int.random(in: 0...300, using: &r))
            default:
                input = seeds[Int.random(in: 0..<seeds.count, using: &r)]
                let mutations = Int.random(in: 1...4, using: &r)
                for _ in 0..<mutations where !input.isEmpty {
                    switch Int.random(in: 0...4, using: &r) {
                    case 0: input[Int.random(in: 0..<input.count, using: &r)] = UInt8.random(in: 0...255, using: &r)
                    case 1: input.removeLast(Int.random(in: 1...min(8, input.count), using: &r))
                    case 2: input.insert(UInt8.random(in: 0...255, using: &r), at: Int.random(in: 0...input.count, using: &r))
                    case 3: // overwrite four bytes with a huge length prefix
                        let at = Int.random(in: 0..<input.count, using: &r)
                        for j in at..<min(input.count, at + 4) { input[j] = 0xff }
                    default: input.append(contentsOf: r.bytes(Int.random(in: 1...16, using: &r)))
                    }
                }
            }
            DecoderFuzzTests.decodeAll(input)
        }
    }
}
