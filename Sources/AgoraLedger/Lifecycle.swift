import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// Which services are running, for health and for naming what hung at shutdown.
public final class ServiceStates: Sendable {
    public enum State: String, Sendable, Codable { case starting, running, restarting, stopped }
    public struct Entry: Sendable, Codable {
        public var state: State
        public var restarts: Int
        public var lastError: String?
    }

    private let entries = Mutex<[String: Entry]>([:])
    public init() {}

    public func set(_ name: String, _ state: State, error: String? = nil) {
        entries.withLock { map in
            var e = map[name] ?? Entry(state: state, restarts: 0, lastError: nil)
            if state == .restarting { e.restarts += 1 }
            e.state = state
            if let error { e.lastError = error }
            map[name] = e
        }
    }

    public var snapshot: [String: Entry] { entries.withLock { $0 } }
    public var stillRunning: [String] { snapshot.filter { $0.value.state != .stopped }.map(\.key).sorted() }
}

/// A listener that cannot bind its address (in use, not permitted, not on this host). It names
/// what and where in one line, and `Supervised` never retries it: the node stops at start.
public struct ListenError: Error, Equatable, CustomStringConvertible {
    /// "the API", "P2P".
    public let what: String
    public let address: String
    /// The system's reason, e.g. "address already in use".
    public let reason: String

    public var description: String { "cannot bind \(what) to \(address): \(reason)" }

    /// A socket bind failure as a `ListenError`; any other error unchanged.
    public static func naming(_ error: any Error, what: String, address: String) -> any Error {
        guard let io = error as? IOError, [EADDRINUSE, EADDRNOTAVAIL, EACCES].contains(io.errnoCode) else { return error }
        return ListenError(what: what, address: address, reason: String(cString: strerror(io.errnoCode)).lowercased())
    }
}

/// Runs a background service and restarts it with exponential backoff (100 ms doubling to 30 s)
/// when it fails, logging each failure; health reports the restarts. Graceful shutdown ends it.
public struct Supervised<Inner: Service>: Service {
    public let name: String
    let inner: Inner
    let states: ServiceStates
    let logger: Logger

    public init(_ name: String, _ inner: Inner, states: ServiceStates, logger: Logger) {
        self.name = name
        self.inner = inner
        self.states = states
        self.logger = logger
    }

    public func run() async throws {
        var backoff = Duration.milliseconds(100)
        states.set(name, .running)
        defer { states.set(name, .stopped) }
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await inner.run()
                return
            } catch is CancellationError {
                return
            } catch let error as ListenError {
                throw error  // a port in use stays in use: stop the node with its address
            } catch {
                states.set(name, .restarting, error: "\(error)")
                logger.error("service failed; restarting", metadata: ["service": .string(name), "error": .string("\(error)"),
                                                                      "retry_in": .stringConvertible(backoff)])
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(30))
                states.set(name, .running)
            }
        }
    }
}

/// Waits for graceful shutdown to begin, runs `onSignal`, then gives the node `deadline` to
/// finish. If it has not exited by then, it logs which services are still running and exits the
/// process with status 1. It must be the *last* service of its group: a ServiceGroup shuts its
/// services down one after another in reverse order, so only the last one hears the signal at
/// once (the first would hear it after every other service had stopped).
public struct ShutdownWatchdog: Service {
    let deadline: Duration
    let states: ServiceStates
    let logger: Logger
    let onSignal: @Sendable () -> Void

    public init(deadline: Duration, states: ServiceStates, logger: Logger, onSignal: @escaping @Sendable () -> Void = {}) {
        self.deadline = deadline
        self.states = states
        self.logger = logger
        self.onSignal = onSignal
    }

    public func run() async throws {
        try? await gracefulShutdown()
        onSignal()
        logger.notice("shutting down", metadata: ["deadline": .stringConvertible(deadline)])
        let states = self.states
        let logger = self.logger
        let seconds = Double(deadline.components.seconds) + Double(deadline.components.attoseconds) / 1e18
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: seconds)
            logger.critical("shutdown deadline passed; still running: \(states.stillRunning.joined(separator: ", "))",
                            metadata: ["hung": .string(states.stillRunning.joined(separator: ","))])
            exit(1)
        }
    }
}
