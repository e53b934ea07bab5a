import Testing
@testable import AgoraCore

/// The staking payloads' encodings: fixed tags, exact byte layouts, round trips, and refusal of
/// every non-canonical form.
@Suite("Staking payload codec")
struct StakingPayloadCodecTests {
    @Test("every staking payload round-trips and keeps its tag byte")
    func roundTrip() throws {
        var r = SeededRandom(seed: 51)
        let key = Fixtures.key(&r)
        let cases: [(Payload, UInt8)] = [
            (.validatorUpdate(publicKey: key, power: 7), 3),
            (.bond(amount: Amount(10)!), 4),
            (.unbond(amount: Amount(11)!), 5),
            (.rotateValidatorKey(newKey: key, proof: Signature(bytes: r.bytes(64))!), 6),
            (.evidence(Fixtures.evidence(&r)), 7),
        ]
        for (payload, tag) in cases {
            let bytes = payload.canonicalBytes
            #expect(bytes.first == tag)
            #expect(try Payload(canonicalBytes: bytes) == payload)
        }
    }

    @Test("the layouts are the documented ones: key ‖ u64 power, u64 amount, key ‖ 64-byte proof")
    func layouts() {
        let key = PublicKey(bytes: [UInt8](repeating: 0xab, count: 32))!
        #expect(Payload.validatorUpdate(publicKey: key, power: 0x0102).canonicalBytes
            == [3] + key.bytes + [0x02, 0x01, 0, 0, 0, 0, 0, 0])
        #expect(Payload.bond(amount: Amount(5)!).canonicalBytes == [4, 5, 0, 0, 0, 0, 0, 0, 0])
        #expect(Payload.unbond(amount: Amount(5)!).canonicalBytes == [5, 5, 0, 0, 0, 0, 0, 0, 0])
        let proof = Signature(bytes: [UInt8](repeating: 0xcd, count: 64))!
        #expect(Payload.rotateValidatorKey(newKey: key, proof: proof).canonicalBytes == [6] + key.bytes + proof.bytes)
    }

    @Test("truncated, trailing, above-maximum and unknown-tag staking payloads are refused")
    func nonCanonical() {
        var r = SeededRandom(seed: 52)
        let update = Payload.validatorUpdate(publicKey: Fixtures.key(&r), power: 1).canonicalBytes
        #expect(throws: CodecError.self) { try Payload(canonicalBytes: Array(update.dropLast())) }
        #expect(throws: CodecError.trailingBytes(type: "Payload", count: 1)) { try Payload(canonicalBytes: update + [0]) }
        // An amount above 2^63-1 has no canonical form.
        #expect(throws: CodecError.self) { try Payload(canonicalBytes: [4] + [UInt8](repeating: 0xff, count: 8)) }
        // 255: far from the tags modules keep appending (15 is the market's now).
        #expect(throws: CodecError.unknownTag(type: "payload", tag: 255)) { try Payload(canonicalBytes: [255]) }
        let rotate = Payload.rotateValidatorKey(newKey: Fixtures.key(&r), proof: .empty).canonicalBytes
        #expect(throws: CodecError.self) { try Payload(canonicalBytes: Array(rotate.dropLast())) }
    }

    @Test("evidence inside a payload must be in canonical order and a real conflict")
    func evidenceOrder() throws {
        var r = SeededRandom(seed: 53)
        let evidence = Fixtures.evidence(&r)
        var swapped = CanonicalWriter()
        swapped.write(UInt8(7))
        swapped.write(evidence.second)
        swapped.write(evidence.first)
        #expect(throws: CodecError.self) { try Payload(canonicalBytes: swapped.bytes) }
        var same = CanonicalWriter()
        same.write(UInt8(7))
        same.write(evidence.first)
        same.write(evidence.first)
        #expect(throws: CodecError.self) { try Payload(canonicalBytes: same.bytes) }
        #expect(try Payload(canonicalBytes: Payload.evidence(evidence).canonicalBytes) == .evidence(evidence))
    }

    @Test("the rotation message is domain ‖ chain ID ‖ old key, and differs per chain and per key")
    func rotationMessage() {
        let a = PublicKey(bytes: [UInt8](repeating: 1, count: 32))!
        let b = PublicKey(bytes: [UInt8](repeating: 2, count: 32))!
        let message = KeyRotation.message(chainID: "c", oldKey: a)
        #expect(message == Array("agora/rotate/v1\u{0}".utf8) + [1, 0, 0, 0, UInt8(ascii: "c")] + a.bytes)
        #expect(message != KeyRotation.message(chainID: "d", oldKey: a))
        #expect(message != KeyRotation.message(chainID: "c", oldKey: b))
    }
}
