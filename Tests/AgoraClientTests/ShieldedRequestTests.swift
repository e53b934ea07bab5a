// Regression test for `ShieldedRequest`: on Linux, cancelling a task inside URLSession's
// `data(for:)` calls `URLSessionTask.cancel()`, which races the completion and traps the whole
// process (the MCP node CI lost on 2026-12-05). Here many requests go through `NodeGateway` and
// `ArtifactClient` to a real HTTP server on a loopback socket, and their calling tasks are
// cancelled at seeded random moments: the process must survive, and every call must end with
// its answer or a typed error. With `ShieldedRequest` bypassed (URLSession called directly),
// 5 of 5 runs on 2026-12-06 never ended (killed at 120 s; the time limit fails it) — a hang
// here, not the trap CI saw, but the test does not pass without the shield.

import AgoraAPIModels
import AgoraCore
@testable import AgoraClient
import Foundation
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("Shielded requests")
struct ShieldedRequestTests {
    struct Pong: Decodable, Sendable { let ok: Bool }

    enum Outcome: Sendable, Hashable { case answered, cancelled, typedFailure }

    @Test("requests whose callers are cancelled at random moments end with an answer or a typed error, and the process survives",
          .timeLimit(.minutes(3)))
    func cancelledCallersSurvive() async throws {
        let server = try LoopbackHTTPServer(seed: 42)
        defer { server.stop() }
        let gateway = NodeGateway(base: "http://127.0.0.1:\(server.port)", timeout: 20)
        let artifacts = ArtifactClient(base: "http://127.0.0.1:\(server.port)")
        let sha = Hash(bytes: Array(repeating: 7, count: 32))!
        var rng = SplitMix64(seed: 42)
        var outcomes: [Outcome: Int] = [:]
        for wave in 0..<8 {
            var calls: [(Task<Void, any Error>, Duration)] = []
            for i in 0..<40 {
                let task = Task<Void, any Error> {
                    if (wave + i) % 4 == 0 {
                        _ = try await artifacts.upload(BytesSource([1, 2, 3]), sha256: sha)
                    } else {
                        let pong = try await gateway.get("/api/v1/ping/\(wave)/\(i)", as: Pong.self)
                        #expect(pong.ok)
                    }
                }
                calls.append((task, .microseconds(Int64(rng.next() % 25_000))))
            }
            // Cancel each at its own moment, from 0 to 25 ms in: before, during and after the answer.
            await withTaskGroup(of: Void.self) { group in
                for (task, after) in calls {
                    group.addTask { try? await Task.sleep(for: after); task.cancel() }
                }
            }
            for (task, _) in calls { outcomes[Self.classify(await task.result), default: 0] += 1 }
        }
        print("shielded requests: \(outcomes), \(server.served) answered by the server")
        #expect(outcomes.values.reduce(0, +) == 8 * 40)
        #expect(outcomes[.answered, default: 0] > 0, "the server answered some")
        #expect(server.served > 0)
    }

    /// An answer, a cancellation that reached the caller before the request, or one of the
    /// clients' own typed failures (a timeout comes as `unreachable`); anything else is a bug.
    static func classify(_ result: Result<Void, any Error>) -> Outcome {
        switch result {
        case .success: return .answered
        case .failure(let error as NodeGateway.Failure):
            Issue.record("a loopback server that answers every request: \(error)")
            return .typedFailure
        case .failure(let error as ArtifactClient.Failure):
            Issue.record("a loopback server that answers every request: \(error)")
            return .typedFailure
        case .failure(is CancellationError): return .cancelled
        case .failure(let error):
            Issue.record("untyped error \(type(of: error)): \(error)")
            return .typedFailure
        }
    }
}

/// A real HTTP/1.1 server on a loopback socket, one thread per connection: reads a request's
/// head, waits a seeded 0–20 ms (so cancellations land before, during and after the answer),
/// answers JSON and closes. Upload starts get "already stored"; every other path `{"ok":true}`.
final class LoopbackHTTPServer: @unchecked Sendable {
    let port: Int
    private let fd: Int32
    private let counter = Mutex<(served: Int, rng: SplitMix64)>((0, SplitMix64(seed: 0)))

    var served: Int { counter.withLock { $0.served } }

    init(seed: UInt64) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && listen(fd, 256) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard bound else { close(fd); throw POSIXError(.EADDRINUSE) }
        self.fd = fd
        port = Int(UInt16(bigEndian: addr.sin_port))
        counter.withLock { $0.rng = SplitMix64(seed: seed) }
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    /// Closing the listening socket ends the accept loop.
    func stop() { shutdown(fd, Int32(SHUT_RDWR)); close(fd) }

    private func acceptLoop() {
        while true {
            let client = accept(fd, nil, nil)
            guard client >= 0 else { return }
            let delay = counter.withLock { UInt32($0.rng.next() % 20_000) }
            Thread.detachNewThread { [self] in serve(client, delayMicros: delay) }
        }
    }

    private func serve(_ client: Int32, delayMicros: UInt32) {
        defer { close(client) }
        var request = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 4_096)
        // The head and then the body its Content-Length announces: closing with unread bytes
        // would reset the connection under the client.
        while request.count < 65_536, !request.isCompleteRequest {
            let n = read(client, &chunk, chunk.count)
            guard n > 0 else { return }  // the client went away (cancelled)
            request += chunk[0..<n]
        }
        usleep(delayMicros)
        let requestLine = String(decoding: request.prefix { $0 != 13 }, as: UTF8.self)
        let body = requestLine.contains("/api/v1/artifacts/uploads")
            ? #"{"sha256":"07","size":3,"alreadyStored":true}"# : #"{"ok":true}"#
        let answer = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
        let bytes = Array(answer.utf8)
        // MSG_NOSIGNAL: a client that went away must not raise SIGPIPE in the test process.
        if bytes.withUnsafeBytes({ send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == bytes.count {
            counter.withLock { $0.served += 1 }
        }
    }
}

extension [UInt8] {
    /// The request's head has ended (a blank line) and as many body bytes as its
    /// Content-Length announces have followed.
    var isCompleteRequest: Bool {
        guard let end = indices.dropLast(3).first(where: { self[$0] == 13 && self[$0 + 1] == 10 && self[$0 + 2] == 13 && self[$0 + 3] == 10 })
        else { return false }
        let head = String(decoding: self[..<end], as: UTF8.self).lowercased()
        let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
            .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
        return count >= end + 4 + length
    }
}
