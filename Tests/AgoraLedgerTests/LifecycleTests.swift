@testable import AgoraLedger
import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
import Testing

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

    final class Unbindable: Service, Sendable {
        let runs = Mutex(0)
        func run() async throws {
            runs.withLock { $0 += 1 }
            throw ListenError.naming(IOError(errnoCode: EADDRINUSE, reason: "bind"), what: "P2P", address: "127.0.0.1:26656")
        }
    }

    @Test("a listener that cannot bind is not restarted: the node stops, naming the address")
    func bindFailuresStopTheNode() async throws {
        let service = Unbindable()
        await #expect(throws: ListenError(what: "P2P", address: "127.0.0.1:26656", reason: "address already in use")) {
            try await Supervised("network", service, states: ServiceStates(), logger: Logger(label: "test")).run()
        }
        #expect(service.runs.withLock { $0 } == 1)
        #expect("\(ListenError(what: "the API", address: "127.0.0.1:8645", reason: "address already in use"))"
            == "cannot bind the API to 127.0.0.1:8645: address already in use")
    }
}
