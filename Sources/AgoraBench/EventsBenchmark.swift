import AgoraAPI
import AgoraCore
import AgoraNetwork
import AgoraCrypto
import AgoraLedger
import AgoraNode
import AgoraSimulation
import AgoraState
import AgoraStorage
import Dispatch
import Foundation
import Hummingbird
import Logging
import Synchronization

/// `agora bench events`: the real API server with its WebSocket event stream, fed synthetic
/// events at a fixed rate, and N subscriber connections over loopback that count what they
/// receive. Prints per-subscriber delivery rates, drops and the server's memory over time.
///
/// The subscribers are minimal blocking-socket WebSocket clients written here (upgrade, one
/// masked subscribe frame, then reading frames): the only client library available, WSClient,
/// would pull TLS into the build for a benchmark that needs none.
public enum EventsBenchmark {
    public struct Result: Sendable {
        public var subscribers: Int
        public var seconds: Double
        public var publishedPerSecond: Double
        public var minPerSubscriber: Double
        public var medianPerSubscriber: Double
        public var dropped: UInt64
        public var rssMiB: [Double]
    }

    public static func run(subscribers: Int, rate: Int, seconds: Double, directory: String) async throws -> Result {
        let dir = DataDirectory(directory)
        let dev = try NodeSetup.devNetwork(dataDir: dir, http: "127.0.0.1:0", blockIntervalMs: 1000)
        let key = try KeyFile.read(from: dev.validatorKeyPath).unlock(password: nil)
        var logger = Logger(label: "bench")
        logger.logLevel = .critical  // the server's cancellation at the end is expected
        let store = try BlockStore(path: dir.databaseFile)
        let events = EventBus(capacity: 10_000, subscriberBuffer: 8_192)
        let chain = try Chain(store: store, validatorKey: key, events: events, logger: logger)
        var limits = APILimits()
        limits.eventsMaxPerIP = subscribers + 1
        limits.rateLimitPerSecond = 1_000_000
        limits.rateLimitBurst = 1_000_000
        let deps = APIDependencies(chain: chain, health: HealthRegistry(), tokens: AdminTokens(path: dir.adminTokensFile),
                                   audit: AuditLog(path: dir.auditLogFile), limits: limits, version: Node.version)
        let port = Mutex<Int?>(nil)
        let app = APIServer.application(deps, host: "127.0.0.1", port: 0, idleTimeout: .seconds(60), logger: logger) { p in
            port.withLock { $0 = p }
        }
        return try await withThrowingTaskGroup(of: Result?.self) { group in
            group.addTask { try await app.run(); return nil }
            while port.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(10)) }
            let p = port.withLock { $0 }!

            let counts = (0..<subscribers).map { _ in Counter() }
            let stop = Counter()
            let connected = Counter()
            for i in 0..<subscribers {
                let counter = counts[i]
                Thread.detachNewThread {
                    WebSocketProbe.subscribe(port: p, counter: counter, connected: connected, stop: stop)
                }
            }
            while connected.value < subscribers { try await Task.sleep(for: .milliseconds(20)) }
            try await Task.sleep(for: .milliseconds(200))

            // Publish `rate` events per second in batches every 10 ms.
            let perTick = max(1, rate / 100)
            var published = 0
            var rss: [Double] = []
            let start = ContinuousClock.now
            let baseline = counts.map(\.value)
            var tick = 0
            let from = Address(raw: [UInt8](repeating: 0xaa, count: 20)).description
            let to = Address(raw: [UInt8](repeating: 0xbb, count: 20)).description
            while ContinuousClock.now - start < .seconds(seconds) {
                let (sent, height) = (published, tick)
                let drafts = (0..<perTick).map { n in
                    EventBus.Draft(kind: .module, type: "bank.transfer", module: "bank", data: [
                        "from": .string(from), "to": .string(to),
                        "amount": .uint(UInt64(sent + n)), "height": .uint(UInt64(height)), "tx": .string(String(repeating: "c", count: 64)),
                    ])
                }
                events.publish(drafts)
                published += drafts.count
                tick += 1
                if tick % 100 == 0 { rss.append(currentRSSMiB()) }
                let next = start + .milliseconds(10 * tick)
                if next > ContinuousClock.now { try await Task.sleep(until: next) }
            }
            let elapsed = Double((ContinuousClock.now - start).components.seconds) + Double((ContinuousClock.now - start).components.attoseconds) / 1e18
            try await Task.sleep(for: .milliseconds(500))  // let in-flight frames land
            stop.add(1)
            let rates = (0..<subscribers).map { Double(counts[$0].value - baseline[$0]) / elapsed }.sorted()
            group.cancelAll()
            return Result(subscribers: subscribers, seconds: elapsed, publishedPerSecond: Double(published) / elapsed,
                          minPerSubscriber: rates.first ?? 0, medianPerSubscriber: rates[rates.count / 2],
                          dropped: events.droppedSubscribers, rssMiB: rss)
        }
    }

    static func currentRSSMiB() -> Double {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let kb = status.split(separator: "\n").first { $0.hasPrefix("VmRSS") }
            .flatMap { $0.split(separator: " ").dropFirst().first.flatMap { Double($0) } } ?? 0
        return kb / 1024
    }

    final class Counter: Sendable {
        private let atomic = Atomic<Int>(0)
        var value: Int { atomic.load(ordering: .relaxed) }
        func add(_ n: Int) { atomic.add(n, ordering: .relaxed) }
    }
}

/// A blocking WebSocket subscriber for the benchmark: counts events in received frames.
enum WebSocketProbe {
    static func subscribe(port: Int, counter: EventsBenchmark.Counter, connected: EventsBenchmark.Counter, stop: EventsBenchmark.Counter) {
        guard let socket = try? LoopbackWebSocket(port: port) else { return }
        socket.sendText(#"{"op":"subscribe","modules":["bank"]}"#)
        connected.add(1)
        let needle = Array(#""seq":"#.utf8)
        while stop.value == 0 {
            guard let frames = try? socket.readTextFrames() else { return }
            for frame in frames {
                var found = 0
                var i = frame.startIndex
                let end = frame.endIndex - needle.count
                while i <= end {
                    if frame[i] == needle[0] && frame[i + 1] == needle[1] && frame[i + 4] == needle[4] && frame[i + 5] == needle[5] {
                        found += 1; i += 6
                    } else { i += 1 }
                }
                counter.add(found)
            }
        }
    }
}
