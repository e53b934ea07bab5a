import AgoraLedgerTestSupport
import AgoraConsensus
import AgoraCore
import AgoraCrypto
@testable import AgoraLedger
@testable import AgoraStorage
import Foundation
import GRDB
import Logging
import ServiceLifecycle
import Testing

/// A full disk while a validator commits or signs (issue 14, item 6): the decided block's commit
/// fails, the node reports it (not ready) and commits the same block by itself once there is
/// room — it used to give up on the block and stall until restarted; a signature whose sign
/// state cannot be written is tried again, where a lone validator used to wait forever.
@Suite("Commit retry")
struct CommitRetryTests {
    /// Waits for `condition` with a generous bound (a liveness bound, not a speed check).
    func eventually(_ condition: () -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(120)
        while !condition(), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        return condition()
    }

    @Test("a commit refused by a full database is retried until it commits, and the node resumes without a restart")
    func retriesUntilThereIsRoom() async throws {
        let net = try TestChain("cons-full")
        let chain = try net.open("v", key: net.validator)
        let producer = ProducerStatus()
        var config = ConsensusService.Config(blockInterval: .milliseconds(10), timeouts: .init(proposeBase: 200, prevoteBase: 100, precommitBase: 100),
                                             directory: net.dir + "/consensus")
        config.commitRetryBase = .milliseconds(10)
        config.commitRetryMax = .milliseconds(100)
        let service = try ConsensusService(chain: chain, keys: [net.validator], config: config, transport: nil, producer: producer,
                                           logger: Logger(label: "consensus"))
        // SQLite's own "disk full": the database may not grow past the pages it has now, so the
        // first block that needs a new page gets SQLITE_FULL, exactly as on a full filesystem.
        let pool = chain.store.pool
        let pages = try await pool.read { try Int.fetchOne($0, sql: "PRAGMA page_count") } ?? 1
        try await pool.writeWithoutTransaction { _ = try Int.fetchOne($0, sql: "PRAGMA max_page_count = \(pages)") }

        let group = ServiceGroup(configuration: .init(services: [service], logger: Logger(label: "group")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            #expect(try await eventually { producer.snapshot.lastError != nil }, "the database fills and a commit fails")
            let stuck = chain.snapshot.head.height
            #expect(producer.snapshot.lastError?.contains("no space left") == true, "\(producer.snapshot.lastError ?? "")")
            #expect(try await eventually { producer.snapshot.consecutiveFailures >= 3 }, "the same block is tried again")
            #expect(chain.snapshot.head.height == stuck, "nothing commits while the disk is full")
            #expect(service.status.lastError?.contains("retrying") == true)

            try await pool.writeWithoutTransaction { _ = try Int.fetchOne($0, sql: "PRAGMA max_page_count = 1000000") }
            #expect(try await eventually { chain.snapshot.head.height >= stuck + 3 }, "room again: the node resumes by itself")
            #expect(producer.snapshot.lastError == nil && service.status.lastError == nil)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        // The retried block is the one consensus decided: the chain verifies from its start.
        #expect(try chain.store.checkIntegrity(.full).blocks == chain.snapshot.head.height)
    }

    @Test("a signature refused because its sign state cannot be written is retried on the next tick, not abandoned")
    func refusedSignatureIsRetried() async throws {
        let net = try TestChain("cons-sign")
        let chain = try net.open("v", key: net.validator)
        let directory = net.dir + "/consensus"
        // A directory where the sign state's temporary file goes: every write of it fails (EISDIR),
        // as a full disk's would, until it is removed.
        let blocker = ConsensusService.signStatePath(directory: directory, key: net.validator.publicKey) + ".tmp"
        try FileManager.default.createDirectory(atPath: blocker, withIntermediateDirectories: true)
        let config = ConsensusService.Config(blockInterval: .milliseconds(10), timeouts: .init(proposeBase: 200, prevoteBase: 100, precommitBase: 100),
                                             directory: directory)
        let service = try ConsensusService(chain: chain, keys: [net.validator], config: config, transport: nil, logger: Logger(label: "consensus"))
        let group = ServiceGroup(configuration: .init(services: [service], logger: Logger(label: "group")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            // The proposal could not be signed, the propose timeout passed, and the prevote that
            // followed could not be signed either: a lone validator has no other way forward.
            #expect(try await eventually { service.status.height == 1 && service.status.step == .prevote })
            #expect(chain.snapshot.head.height == 0)
            try FileManager.default.removeItem(atPath: blocker)
            #expect(try await eventually { chain.snapshot.head.height >= 3 }, "the refused prevote is signed again and heights move on")
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}
