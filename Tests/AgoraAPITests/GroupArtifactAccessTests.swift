import AgoraAPI
import AgoraAPIModels
import AgoraCore
import AgoraCrypto
import AgoraLedger
import AgoraState
import AgoraStorage
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// `GroupArtifactAccess` behind the download route: an artifact a group's claim references is
/// readable by the group's members (observers too) and admin tokens only; one no claim
/// references is readable by anyone; removal from the group takes access away at once.
@Suite("API: group artifacts are for group members")
struct GroupArtifactAccessTests {
    @Test func onlyMembersOfAReferencingGroupReadItsArtifacts() async throws {
        let h = try APIHarness()
        let store = try ArtifactStore(root: NSTemporaryDirectory() + "agora-group-artifacts-\(UUID().uuidString)")
        let secret: [UInt8] = Array("lab notes".utf8)
        let open: [UInt8] = Array("public notes".utf8)
        let secretID = try store.put(secret)
        let openID = try store.put(open)
        let bob = SigningKey(), carol = SigningKey()
        let group = LedgerID.group(creator: h.alice.address, nonce: 0)
        let payloads: [Payload] = [
            .createGroup(name: "lab", policy: .none),
            .addGroupMember(group: group, member: bob.address, role: .observer),
            .publishClaim(ClaimContent(group: group, text: "see notes", tags: [], parent: nil,
                                       artifacts: [ArtifactRef(sha256: secretID, size: UInt64(secret.count))])),
        ]
        for (i, p) in payloads.enumerated() {
            try h.chain.submit(h.alice.sign(TransactionBody(chainID: "api-test", sender: h.alice.publicKey, nonce: UInt64(i),
                                                            fee: Amount(1)!, expiresAt: 100, payload: p)))
        }
        try h.chain.produceBlock(now: 2_000)
        let token = try h.tokens.create(name: "ops")
        var deps = h.deps
        let chain = h.chain
        deps.artifacts = ArtifactDependencies(store: store, uploads: ArtifactUploads(store: store),
                                              access: GroupArtifactAccess(chain: chain),
                                              chainID: "api-test")
        let app = Application(router: APIRoutes.router(deps))
        @Sendable func signed(_ key: SigningKey, _ id: Hash) -> HTTPFields {
            [.authorization: ArtifactRequestSignature.header(key: key, action: .read, chainID: "api-test", sha256: id, size: 0)]
        }
        try await app.test(.router) { client in
            func status(_ id: Hash, _ headers: HTTPFields = [:]) async throws -> HTTPResponse.Status {
                try await client.execute(uri: "/api/v1/artifacts/\(id.hex)", method: .get, headers: headers) { $0.status }
            }
            #expect(try await status(secretID) == .unauthorized)
            #expect(try await status(secretID, signed(carol, secretID)) == .forbidden)
            #expect(try await status(secretID, signed(bob, secretID)) == .ok)
            #expect(try await status(secretID, signed(h.alice, secretID)) == .ok)
            #expect(try await status(secretID, [.authorization: "Bearer " + token]) == .ok)
            #expect(try await status(openID) == .ok)
            // HEAD tells no more than GET: the size of a group artifact is the group's too.
            let head = try await client.execute(uri: "/api/v1/artifacts/\(secretID.hex)", method: .head) { $0.status }
            #expect(head == .unauthorized)
        }
        try h.chain.submit(h.alice.sign(TransactionBody(chainID: "api-test", sender: h.alice.publicKey, nonce: 3, fee: Amount(1)!,
                                                        expiresAt: 100, payload: .removeGroupMember(group: group, member: bob.address))))
        try h.chain.produceBlock(now: 3_000)
        try await app.test(.router) { client in
            var fields = HTTPFields()
            fields[.authorization] = ArtifactRequestSignature.header(key: bob, action: .read, chainID: "api-test", sha256: secretID, size: 0)
            let s = try await client.execute(uri: "/api/v1/artifacts/\(secretID.hex)", method: .get, headers: fields) { $0.status }
            #expect(s == .forbidden)
        }
    }
}
