import AgoraAPI
import AgoraAPIModels
import AgoraCore
import AgoraLedger
import AgoraStorage
import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import Testing
@testable import AgoraAPI

/// What clients see when the node's storage fails (issue 14): damaged data met by a read is a
/// 503 `storage_corrupt` and marks the node not ready (naming storage), never a crash or a 500;
/// a full disk is a 507 `insufficient_storage`.
@Suite("API storage failures")
struct StorageFailureTests {
    @Test("a block row damaged on disk: its read answers 503 storage_corrupt and readiness fails on storage")
    func corruptRead() async throws {
        let h = try APIHarness()
        for t in 0..<3 { try h.chain.produceBlock(now: 2_000 + UInt64(t) * 1_000) }
        // A disk that returns other bytes: an integer where the seal blob was (GRDB's subscript
        // traps on it, which killed the node before).
        let queue = try DatabaseQueue(path: h.chain.queries.databasePath)
        try await queue.write { try $0.execute(sql: "UPDATE blocks SET seal = 42 WHERE height = 2") }
        try queue.close()
        try await h.app.test(.router) { client in
            try await client.execute(uri: "/health/ready", method: .get) { r in #expect(r.status == .ok) }
            try await client.execute(uri: "/api/v1/blocks/2", method: .get) { r in
                #expect(r.status == .serviceUnavailable)
                let e = try decode(ErrorBody.self, r.body)
                #expect(e.code == "storage_corrupt")
                #expect(e.message.contains("block 2"), "\(e.message)")
            }
            try await client.execute(uri: "/api/v1/blocks/1", method: .get) { r in #expect(r.status == .ok, "undamaged rows still serve") }
            try await client.execute(uri: "/health/ready", method: .get) { r in
                #expect(r.status == .serviceUnavailable)
                let view = try decode(API.HealthView.self, r.body)
                let storage = try #require(view.components["storage"])
                #expect(!storage.healthy && storage.detail.contains("corrupt"), "\(storage.detail)")
            }
            try await client.execute(uri: "/metrics", method: .get) { r in
                #expect(String(buffer: r.body).contains("agora_storage_corrupt 1"))
            }
        }
    }

    @Test("a full disk maps to 507 insufficient_storage, for the database and for artifact writes")
    func diskFullMapping() throws {
        let db = try #require(APIError.storage(.diskFull(path: "/d/agora.sqlite", operation: "commit block 3")))
        #expect(db.status.code == 507 && db.code == "insufficient_storage")
        let artifact = try #require(APIRoutes.storeError(ArtifactError.io(operation: "write", path: "/d/artifacts/tmp/x", errno: ENOSPC)) as? APIError)
        #expect(artifact.status.code == 507 && artifact.code == "insufficient_storage")
        #expect(!(APIRoutes.storeError(ArtifactError.io(operation: "write", path: "/x", errno: EIO)) is APIError), "other I/O errors stay internal")
        #expect(APIError.storage(.sqlite(operation: "read", reason: "busy")) == nil)
    }
}
