import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing
@testable import AgoraServices

@Suite("Lifecycle")
struct LifecycleTests {
    final class Flaky: Service, Sendable {
        let failuresLeft = Mutex(2)
        let runs = Mutex(0)
        struct Boom: Error {}
        func run() async throws {
            runs.withLock { $0 += 1 }
            let fail = failuresLeft.withLock { n -> Bool in
                guard n > 0 else { return false }
                n -= 1
                return true
            }
            if fail { throw Boom() }
        }
    }

    @Test("a failing background service is restarted with backoff and its restarts are recorded")
    func supervisedRestarts() async throws {
        let states = ServiceStates()
        let flaky = Flaky()
        try await Supervised("flaky", flaky, states: states, logger: Logger(label: "test")).run()
        #expect(flaky.runs.withLock { $0 } == 3)
        let entry = try #require(states.snapshot["flaky"])
        #expect(entry.restarts == 2)
        #expect(entry.state == .stopped)
        #expect(entry.lastError?.contains("Boom") == true)
    }

    @Test("the audit log serves its newest records from the tail of a large file")
    func auditTail() throws {
        let path = NSTemporaryDirectory() + "agora-audit-\(UUID().uuidString).log"
        let log = AuditLog(path: path)
        for i in 0..<3_000 { log.record(action: "action \(i)", token: "ops", remote: "127.0.0.1", result: "ok") }
        let recent = log.recent(limit: 5, tailBytes: 4_096)
        #expect(recent.map(\.action) == (2_995..<3_000).reversed().map { "action \($0)" })
        #expect(AuditLog(path: path + ".missing").recent(limit: 5).isEmpty)
    }
}
