import Testing
@testable import AgoraCore

/// The Bech32m codec against the test vectors of BIP-350 ("Test vectors for Bech32m" and the
/// segwit vectors that exercise the checksum variant, case and padding rules; Pieter Wuille,
/// BSD-2-Clause, https://github.com/bitcoin/bips/blob/master/bip-0350.mediawiki) and BIP-173's
/// valid Bech32 strings (https://github.com/bitcoin/bips/blob/master/bip-0173.mediawiki), which
/// a Bech32m decoder must refuse.
@Suite("Bech32m codec (BIP-350 vectors)")
struct Bech32mTests {
    static let validBech32m = [
        "A1LQFN3A",
        "a1lqfn3a",
        "an83characterlonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11sg7hg6",
        "abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx",
        "11llllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllludsr8",
        "split1checkupstagehandshakeupstreamerranterredcaperredlc445v",
        "?1v759aa",
    ]

    /// BIP-350's invalid Bech32m strings, each with the reason the BIP gives and the error it maps to.
    static let invalidBech32m: [(String, String, Bech32Error)] = [
        ("\u{20}1xj0phk", "HRP character out of range", .invalidCharacter(position: 0)),
        ("\u{7F}1g6xzxy", "HRP character out of range", .invalidCharacter(position: 0)),
        ("\u{80}1vctc34", "HRP character out of range", .invalidCharacter(position: 0)),
        ("an84characterslonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11d6pts4",
         "overall max length exceeded", .tooLong(length: 91)),
        ("qyrz8wqd2c9m", "No separator character", .missingSeparator),
        ("1qyrz8wqd2c9m", "Empty HRP", .emptyPrefix),
        ("y1b0jsk6g", "Invalid data character", .invalidCharacter(position: 2)),
        ("lt1igcx5c0", "Invalid data character", .invalidCharacter(position: 3)),
        ("in1muywd", "Too short checksum", .checksumTooShort(symbols: 5)),
        ("mm1crxm3i", "Invalid character in checksum", .invalidCharacter(position: 8)),
        ("au1s5cgom", "Invalid character in checksum", .invalidCharacter(position: 7)),
        ("M1VUXWEZ", "checksum calculated with uppercase form of HRP", .badChecksum),
        ("16plkw9", "empty HRP", .emptyPrefix),
        ("1p2gdwpf", "empty HRP", .emptyPrefix),
    ]

    /// BIP-173's valid Bech32 strings and BIP-350's "Invalid checksum (Bech32 instead of
    /// Bech32m)" segwit addresses: right BCH code, wrong constant.
    static let bech32NotM = [
        "A12UEL5L",
        "a12uel5l",
        "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
        "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
        "11" + String(repeating: "q", count: 82) + "c8247j",
        "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
        "?1ezyfcl",
        "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd",
        "tb1z0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqglt7rf",
        "BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL",
    ]

    @Test("BIP-350's valid strings decode and re-encode to their lower-case form", arguments: validBech32m)
    func validVectors(text: String) throws {
        let (hrp, symbols) = try Bech32m.decode(text)
        #expect(Bech32m.encode(hrp: hrp, symbols: symbols) == text.lowercased())
    }

    @Test("BIP-350's invalid strings are refused for the reason the BIP gives", arguments: invalidBech32m.indices)
    func invalidVectors(index: Int) {
        let (text, reason, expected) = Bech32mTests.invalidBech32m[index]
        #expect(throws: expected, "\(reason)") { try Bech32m.decode(text) }
    }

    @Test("a Bech32 (BIP-173) checksum is refused as such", arguments: bech32NotM)
    func bech32ChecksumRefused(text: String) {
        #expect(throws: Bech32Error.bech32Checksum) { try Bech32m.decode(text) }
    }

    @Test("mixed case is refused (BIP-350 segwit vector)")
    func mixedCase() {
        #expect(throws: Bech32Error.mixedCase) {
            try Bech32m.decode("tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq47Zagq")
        }
    }

    @Test("regrouping recovers a segwit program and refuses BIP-350's two padding faults")
    func padding() throws {
        // Valid v1 address → script 5120 + 32-byte program.
        let (_, valid) = try Bech32m.decode("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0")
        let program = try Bech32m.regroup(Array(valid.dropFirst()), from: 5, to: 8, pad: false)
        #expect(Hex.encode(program) == "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")
        #expect(try Bech32m.regroup(program, from: 8, to: 5, pad: true) == Array(valid.dropFirst()))
        for (text, reason) in [("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf", "zero padding of more than 4 bits"),
                               ("tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vpggkg4j", "Non-zero padding in 8-to-5 conversion")] {
            let (_, symbols) = try Bech32m.decode(text)
            #expect(throws: Bech32Error.badPadding, "\(reason)") { try Bech32m.regroup(Array(symbols.dropFirst()), from: 5, to: 8, pad: false) }
        }
    }

    @Test("encode then decode returns the same prefix and symbols", arguments: 0..<50)
    func roundTrip(seed: Int) throws {
        var r = SeededRandom(seed: UInt64(seed))
        let symbols = r.bytes(Int(r.next() % 60)).map { $0 & 31 }
        let hrp = ["ag", "a", "bc", "x?z", String(repeating: "h", count: 20)][seed % 5]
        let text = Bech32m.encode(hrp: hrp, symbols: symbols)
        let decoded = try Bech32m.decode(text)
        #expect(decoded.hrp == hrp && decoded.symbols == symbols)
        #expect(try Bech32m.decode(text.uppercased()).symbols == symbols)
    }
}
