import Testing
@testable import AgoraCore

/// The groups and claims payloads' encodings: appended tags, round trips, the documented
/// layouts, deterministic IDs, and refusal of oversized and non-normalised forms.
@Suite("Groups and claims payload codec")
struct GroupPayloadCodecTests {
    static let policy = GroupPolicy(faucetAmount: Amount(5)!, claimReward: Amount(2)!, transferFeeBps: 25,
                                    maxSupply: Amount(1_000)!, maxBalance: Amount(500)!)

    static func claim(_ r: inout SeededRandom, tags: [String] = ["ai", "rust"], parent: Bool = true) -> ClaimContent {
        let a = ArtifactRef(sha256: Fixtures.hash(&r), size: 10), b = ArtifactRef(sha256: Fixtures.hash(&r), size: 20)
        return ClaimContent(group: Fixtures.hash(&r), text: "the sky is blue", tags: tags,
                            parent: parent ? Fixtures.hash(&r) : nil, artifacts: [a, b].sorted())
    }

    @Test("every groups and claims payload round-trips with tags 8 to 14 after the staking ones")
    func roundTrip() throws {
        var r = SeededRandom(seed: 61)
        let group = Fixtures.hash(&r), member = Fixtures.address(&r)
        let cases: [(Payload, UInt8)] = [
            (.createGroup(name: "researchers", policy: Self.policy), 8),
            (.addGroupMember(group: group, member: member, role: .observer), 9),
            (.removeGroupMember(group: group, member: member), 10),
            (.setGroupRole(group: group, member: member, role: .admin), 11),
            (.updateGroupPolicy(group: group, policy: .none), 12),
            (.fundGroup(group: group, amount: Amount(9)!), 13),
            (.publishClaim(Self.claim(&r)), 14),
            (.publishClaim(Self.claim(&r, tags: [], parent: false)), 14),
        ]
        for (payload, tag) in cases {
            let bytes = payload.canonicalBytes
            #expect(bytes.first == tag)
            #expect(try Payload(canonicalBytes: bytes) == payload)
        }
    }

    @Test("the layouts are the documented ones")
    func layouts() {
        let group = Hash(bytes: [UInt8](repeating: 0x11, count: 32))!
        let member = Address(raw: [UInt8](repeating: 0x22, count: 20))
        #expect(Payload.addGroupMember(group: group, member: member, role: .member).canonicalBytes == [9] + group.bytes + member.bytes + [2])
        #expect(Payload.removeGroupMember(group: group, member: member).canonicalBytes == [10] + group.bytes + member.bytes)
        #expect(Payload.fundGroup(group: group, amount: Amount(3)!).canonicalBytes == [13] + group.bytes + [3, 0, 0, 0, 0, 0, 0, 0])
        let policy: [UInt8] = [5, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 25, 0, 0xe8, 3, 0, 0, 0, 0, 0, 0, 0xf4, 1, 0, 0, 0, 0, 0, 0]
        #expect(Payload.createGroup(name: "g", policy: Self.policy).canonicalBytes == [8, 1, 0, 0, 0, UInt8(ascii: "g")] + policy)
        let claim = ClaimContent(group: group, text: "x", tags: ["a"], parent: nil, artifacts: [])
        #expect(Payload.publishClaim(claim).canonicalBytes
            == [14] + group.bytes + [1, 0, 0, 0, UInt8(ascii: "x"), 1, 0, 0, 0, 1, 0, 0, 0, UInt8(ascii: "a"), 0, 0, 0, 0, 0])
    }

    @Test("group and claim IDs are SHA-256 of a domain, the sender's address and the nonce")
    func deterministicIDs() {
        let a = Address(raw: [UInt8](repeating: 7, count: 20)), b = Address(raw: [UInt8](repeating: 8, count: 20))
        #expect(LedgerID.group(creator: a, nonce: 3) == Hash.sha256(Array("agora/group/v1\u{0}".utf8) + a.bytes + [3, 0, 0, 0, 0, 0, 0, 0]))
        #expect(LedgerID.claim(author: a, nonce: 3) == Hash.sha256(Array("agora/claim/v1\u{0}".utf8) + a.bytes + [3, 0, 0, 0, 0, 0, 0, 0]))
        #expect(LedgerID.group(creator: a, nonce: 3) == LedgerID.group(creator: a, nonce: 3))
        #expect(LedgerID.group(creator: a, nonce: 3) != LedgerID.group(creator: a, nonce: 4))
        #expect(LedgerID.group(creator: a, nonce: 3) != LedgerID.group(creator: b, nonce: 3))
        #expect(LedgerID.group(creator: a, nonce: 3) != LedgerID.claim(author: a, nonce: 3))
    }

    @Test("tags normalise: trimmed, # dropped, lowercase, unique, sorted; bad ones are named")
    func tagNormalisation() throws {
        #expect(try ClaimTags.normalize([" #Rust", "ai", "rust", "AI "]) == ["ai", "rust"])
        #expect(throws: ClaimTags.Invalid.empty) { try ClaimTags.normalize(["#"]) }
        #expect(throws: ClaimTags.Invalid.badCharacter("a b")) { try ClaimTags.normalize(["a b"]) }
        #expect(throws: ClaimTags.Invalid.tooLong(String(repeating: "a", count: 33))) { try ClaimTags.normalize([String(repeating: "a", count: 33)]) }
        #expect(throws: ClaimTags.Invalid.tooMany(9)) { try ClaimTags.normalize((0..<9).map { "t\($0)" }) }
        #expect(try ClaimTags.normalize((0..<9).map { _ in "same" }) == ["same"])
    }

    @Test("claims with unsorted, duplicate or unnormalised tags, unsorted artifacts or bad sizes are refused")
    func nonCanonicalClaims() {
        var r = SeededRandom(seed: 62)
        for tags in [["rust", "ai"], ["ai", "ai"], ["AI"], ["#ai"], [""]] {
            let bytes = Payload.publishClaim(Self.claim(&r, tags: tags)).canonicalBytes
            #expect(throws: CodecError.self) { try Payload(canonicalBytes: bytes) }
        }
        var c = Self.claim(&r)
        c.artifacts.reverse()
        #expect(throws: CodecError.self) { try Payload(canonicalBytes: Payload.publishClaim(c).canonicalBytes) }
        c.artifacts = [c.artifacts[0], c.artifacts[0]]
        #expect(throws: CodecError.self) { try Payload(canonicalBytes: Payload.publishClaim(c).canonicalBytes) }
        for size: UInt64 in [0, Limits.maxArtifactBytes + 1] {
            c.artifacts = [ArtifactRef(sha256: Fixtures.hash(&r), size: size)]
            #expect(throws: CodecError.self) { try Payload(canonicalBytes: Payload.publishClaim(c).canonicalBytes) }
        }
        c.artifacts = []
        c.text = ""
        #expect(throws: CodecError.nonCanonical(field: "claim.text", reason: "empty")) { try Payload(canonicalBytes: Payload.publishClaim(c).canonicalBytes) }
    }

    @Test("oversized text, too many tags or artifacts, long names and fee bps above 10000 are refused before reading on")
    func oversized() {
        var r = SeededRandom(seed: 63)
        var c = Self.claim(&r)
        c.text = String(repeating: "x", count: Limits.maxClaimTextBytes)
        #expect((try? Payload(canonicalBytes: Payload.publishClaim(c).canonicalBytes)) == .publishClaim(c))
        c.text += "x"
        #expect(throws: CodecError.lengthOverLimit(field: "claim.text", length: Limits.maxClaimTextBytes + 1, limit: Limits.maxClaimTextBytes)) {
            try Payload(canonicalBytes: Payload.publishClaim(c).canonicalBytes)
        }
        c.text = "ok"
        c.tags = (0..<9).map { "t\($0)" }
        #expect(throws: CodecError.lengthOverLimit(field: "claim.tags", length: 9, limit: 8)) { try Payload(canonicalBytes: Payload.publishClaim(c).canonicalBytes) }
        c.tags = []
        c.artifacts = (0..<17).map { _ in ArtifactRef(sha256: Fixtures.hash(&r), size: 1) }.sorted()
        #expect(throws: CodecError.lengthOverLimit(field: "claim.artifacts", length: 17, limit: 16)) {
            try Payload(canonicalBytes: Payload.publishClaim(c).canonicalBytes)
        }
        #expect(throws: CodecError.self) { try Payload(canonicalBytes: Payload.createGroup(name: String(repeating: "n", count: 65), policy: .none).canonicalBytes) }
        #expect(throws: CodecError.self) { try Payload(canonicalBytes: Payload.createGroup(name: "", policy: .none).canonicalBytes) }
        #expect(throws: CodecError.self) { try Payload(canonicalBytes: Payload.createGroup(name: "a\u{7}", policy: .none).canonicalBytes) }
        var p = Self.policy
        p.transferFeeBps = 10_001
        #expect(throws: CodecError.nonCanonical(field: "policy.transferFeeBps", reason: "10001 is above 10000")) {
            try Payload(canonicalBytes: Payload.createGroup(name: "g", policy: p).canonicalBytes)
        }
        let group = Fixtures.hash(&r), member = Fixtures.address(&r)
        #expect(throws: CodecError.unknownTag(type: "group.role", tag: 0)) {
            try Payload(canonicalBytes: [9] + group.bytes + member.bytes + [0])
        }
        #expect(throws: CodecError.unknownTag(type: "group.role", tag: 4)) {
            try Payload(canonicalBytes: [11] + group.bytes + member.bytes + [4])
        }
        #expect(throws: CodecError.trailingBytes(type: "Payload", count: 1)) {
            try Payload(canonicalBytes: Payload.removeGroupMember(group: group, member: member).canonicalBytes + [0])
        }
    }
}
