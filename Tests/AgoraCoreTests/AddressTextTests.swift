import Testing
@testable import AgoraCore

/// The text form of an address: Bech32m with prefix `ag`, and every way a typed address can be
/// wrong refused with the reason (`AddressError`).
@Suite("Address text (Bech32m, prefix ag)")
struct AddressTextTests {
    static let dataCharset = Bech32m.charset.map { Character(UnicodeScalar($0)) }

    @Test("random addresses round-trip through ag1 + 38 lower-case characters", arguments: 0..<200)
    func roundTrip(seed: Int) throws {
        var r = SeededRandom(seed: UInt64(seed))
        let address = Fixtures.address(&r)
        let text = address.description
        #expect(text.hasPrefix("ag1") && text.count == Address.textLength && text == text.lowercased())
        #expect(text.dropFirst(3).allSatisfy { AddressTextTests.dataCharset.contains($0) })
        #expect(try Address.parse(text) == address)
        #expect(try Address.parse(text.uppercased()) == address)
        #expect(Address(text) == address)
    }

    @Test("a known address: bytes 00 01 … 13 encode to the string a separate implementation gives")
    func knownAnswer() throws {
        // Computed with a Python transcription of BIP-173's reference polymod and BIP-350's
        // constant (outside this code base), so that encoder and decoder cannot agree on a
        // shared mistake.
        let address = Address(raw: (0..<20).map { UInt8($0) })
        #expect(address.description == "ag1qqqsyqcyq5rqwzqfpg9scrgwpugpzysnfnhmuz")
        #expect(try Address.parse("ag1qqqsyqcyq5rqwzqfpg9scrgwpugpzysnfnhmuz") == address)
        #expect(try Address.parse("AG1QQQSYQCYQ5RQWZQFPG9SCRGWPUGPZYSNFNHMUZ") == address)
    }

    @Test("an address is the first 20 bytes of SHA-256 of the public key")
    func derivation() throws {
        let key = PublicKey(bytes: [UInt8](repeating: 7, count: 32))!
        #expect(Hash.sha256(key.bytes).hex.hasPrefix(Hex.encode(try Address.parse(key.address.description).bytes)))
    }

    @Test("the old ag1 + 40 hex form is refused with its own error, in either case")
    func legacyHex() {
        let hex = "ag1" + Hex.encode(Address(raw: [UInt8](repeating: 0xde, count: 20)).bytes)
        #expect(throws: AddressError.legacyHex) { try Address.parse(hex) }
        #expect(throws: AddressError.legacyHex) { try Address.parse("ag1deadbeefdeadbeefdeadbeefdeadbeefdeadbeef") }
        #expect(throws: AddressError.legacyHex) { try Address.parse(hex.uppercased()) }
        #expect(AddressError.legacyHex.description.contains("Bech32m"))
        #expect(Address(hex) == nil)
    }

    @Test("key files and dev.json may hold the old form: it is read there, checked against the key")
    func checkedField() {
        let address = Address(raw: [UInt8](repeating: 0x42, count: 20))
        #expect(Address(checkedField: "ag1" + Hex.encode(address.bytes)) == address)
        #expect(Address(checkedField: address.description) == address)
        #expect(Address(checkedField: "ag1" + String(repeating: "g", count: 40)) == nil)
    }

    @Test("each kind of mistake is named")
    func namedErrors() {
        let good = Address(raw: [UInt8](repeating: 0x5a, count: 20)).description
        let symbols = (try? Bech32m.regroup([UInt8](repeating: 0x5a, count: 20), from: 8, to: 5, pad: true)) ?? []
        #expect(throws: AddressError.wrongPrefix(found: "bc")) { try Address.parse(Bech32m.encode(hrp: "bc", symbols: symbols)) }
        #expect(throws: AddressError.wrongPrefix(found: "")) { try Address.parse("1" + good.dropFirst(3)) }
        #expect(throws: AddressError.mixedCase) { try Address.parse("AG1" + good.dropFirst(3)) }
        #expect(throws: AddressError.wrongLength(characters: 40)) { try Address.parse(String(good.dropLast())) }
        #expect(throws: AddressError.wrongLength(characters: 42)) { try Address.parse(good + "q") }
        #expect(throws: AddressError.wrongLength(characters: 3)) { try Address.parse("ag1") }
        #expect(throws: AddressError.missingSeparator) { try Address.parse("") }
        #expect(throws: AddressError.missingSeparator) { try Address.parse("agqqqqqqqq") }
        let tooLong = Bech32m.encode(hrp: "agx", symbols: [UInt8](repeating: 3, count: 90))
        #expect(throws: AddressError.wrongLength(characters: tooLong.utf8.count)) { try Address.parse(tooLong) }
        // 21 bytes under the right prefix: length, not checksum, is what is wrong.
        let long = Bech32m.encode(hrp: "ag", symbols: (try? Bech32m.regroup([UInt8](repeating: 1, count: 21), from: 8, to: 5, pad: true)) ?? [])
        #expect(throws: AddressError.wrongLength(characters: 43)) { try Address.parse(long) }
        var b = Array(good)
        b[10] = "b"
        #expect(throws: AddressError.invalidCharacter(position: 10)) { try Address.parse(String(b)) }
        b = Array(good)
        b[20] = "é"
        #expect(throws: AddressError.self) { try Address.parse(String(b)) }
    }

    @Test("a Bech32 (not m) checksum under the ag prefix is refused as such")
    func bech32Variant() {
        let symbols = (try? Bech32m.regroup([UInt8](repeating: 0x77, count: 20), from: 8, to: 5, pad: true)) ?? []
        let check = Bech32m.polymod(Bech32m.expand(Array("ag".utf8)) + symbols + [0, 0, 0, 0, 0, 0]) ^ 1
        let checksum = (0..<6).map { Bech32m.charset[Int((check >> (5 * (5 - UInt32($0)))) & 31)] }
        let text = "ag1" + String(decoding: symbols.map { Bech32m.charset[Int($0)] } + checksum, as: UTF8.self)
        #expect(throws: AddressError.bech32Checksum) { try Address.parse(text) }
    }

    @Test("every single-character substitution of an encoded address is refused", arguments: 0..<8)
    func substitutions(seed: Int) {
        var r = SeededRandom(seed: UInt64(1000 + seed))
        let text = Array(Fixtures.address(&r).description)
        let alphabet = AddressTextTests.dataCharset + ["1", "b", "i", "o"]
        for i in text.indices {
            for c in alphabet where c != text[i] {
                var mutated = text
                mutated[i] = c
                let result = Result { () throws(AddressError) in try Address.parse(String(mutated)) }
                guard case let .failure(error) = result else { Issue.record("accepted \(String(mutated))"); continue }
                switch (i >= 3, c) {
                case (true, "b"), (true, "i"), (true, "o"): #expect(error == .invalidCharacter(position: i), "\(String(mutated))")
                case (true, _) where c != "1": #expect(error == .badChecksum, "\(String(mutated))")
                default:
                    // In the prefix or separator, or a new separator: the checksum (which covers
                    // the prefix) or the structure fails.
                    #expect([.badChecksum, .missingSeparator].contains(error) || error == .invalidCharacter(position: i)
                            || error == .wrongPrefix(found: String(String(mutated).prefix(16))) || error == .mixedCase
                            || error == .wrongLength(characters: 41), "\(String(mutated)): \(error)")
                }
            }
        }
    }

    @Test("every adjacent transposition of an encoded address is refused with a checksum error", arguments: 0..<8)
    func transpositions(seed: Int) {
        var r = SeededRandom(seed: UInt64(2000 + seed))
        let text = Array(Fixtures.address(&r).description)
        for i in 0..<(text.count - 1) where text[i] != text[i + 1] {
            var mutated = text
            mutated.swapAt(i, i + 1)
            #expect(throws: AddressError.badChecksum, "\(String(mutated))") { try Address.parse(String(mutated)) }
        }
    }
}
