import AgoraAPI
import AgoraCore
import AgoraCrypto
import AgoraServices
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
            while ContinuousClock.now - start < .seconds(seconds) {
                let drafts = (0..<perTick).map { n in
                    EventBus.Draft(kind: .module, type: "bank.transfer", module: "bank", data: [
                        "from": .string("ag1" + String(repeating: "a", count: 40)), "to": .string("ag1" + String(repeating: "b", count: 40)),
                        "amount": .uint(UInt64(published + n)), "height": .uint(UInt64(tick)), "tx": .string(String(repeating: "c", count: 64)),
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
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let ok = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard ok == 0 else { return }
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let request = "GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
        // Read the 101 response headers.
        var header = [UInt8]()
        var byte: UInt8 = 0
        while !header.suffix(4).elementsEqual([13, 10, 13, 10]) {
            guard recv(fd, &byte, 1, 0) == 1 else { return }
            header.append(byte)
        }
        guard String(decoding: header, as: UTF8.self).hasPrefix("HTTP/1.1 101") else { return }
        // One masked text frame: the subscription.
        let payload = Array(#"{"op":"subscribe","modules":["bank"]}"#.utf8)
        let mask: [UInt8] = [1, 2, 3, 4]
        var frame: [UInt8] = [0x81, 0x80 | UInt8(payload.count)] + mask
        frame += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        _ = frame.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        connected.add(1)

        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var pending = [UInt8]()
        let needle = Array(#""seq":"#.utf8)
        while stop.value == 0 {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n == 0 { return }
            if n < 0 { continue }  // timeout: check stop
            pending += buffer[0..<n]
            // Parse complete frames.
            var offset = 0
            while pending.count - offset >= 2 {
                var length = Int(pending[offset + 1] & 0x7f)
                var head = 2
                if length == 126 {
                    guard pending.count - offset >= 4 else { break }
                    length = Int(pending[offset + 2]) << 8 | Int(pending[offset + 3]); head = 4
                } else if length == 127 {
                    guard pending.count - offset >= 10 else { break }
                    length = (0..<8).reduce(0) { $0 << 8 | Int(pending[offset + 2 + $1]) }; head = 10
                }
                guard pending.count - offset >= head + length else { break }
                if pending[offset] & 0x0f == 1 {
                    var found = 0
                    var i = offset + head
                    let end = offset + head + length - needle.count
                    while i <= end {
                        if pending[i] == needle[0] && pending[i + 1] == needle[1] && pending[i + 4] == needle[4] && pending[i + 5] == needle[5] { found += 1; i += 6 } else { i += 1 }
                    }
                    counter.add(found)
                }
                offset += head + length
            }
            pending.removeFirst(offset)
        }
    }
}
