import AgoraAPI
import AgoraAPIModels
import AgoraCore
import AgoraCrypto
import AgoraStorage
import Foundation
import Synchronization
import Testing

/// SIGTERM on a real `agora dev` node producing a block every 20 ms under a stream of
/// transfers (issue 12, item 7): the node stops proposing, voting and committing at the signal,
/// lets only a commit already running finish, and exits 0. Before the fix the services stopped
/// one after another with consensus last, and one to four more blocks were committed.
@Suite("Shutdown", .serialized)
struct ShutdownTests {
    /// The node's own account of the signal: its `shutdown signal: …` log line.
    struct StopLine {
        var heightAtSignal: UInt64
        var finishedCommit: Bool
        var height: UInt64
    }

    static func stopLine(_ stderr: String) -> StopLine? {
        for line in stderr.split(separator: "\n") where line.contains("shutdown signal: stopped proposing") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { continue }
            func number(_ key: String) -> UInt64? { (object[key] as? String).flatMap { UInt64($0) } ?? (object[key] as? UInt64) }
            guard let atSignal = number("height_at_signal"), let height = number("height") else { continue }
            return StopLine(heightAtSignal: atSignal, finishedCommit: "\(object["finished_commit"] ?? "")" == "true", height: height)
        }
        return nil
    }

    /// Transfers the flow has had accepted so far, and when to stop. (A flag, not task
    /// cancellation: cancelling a URLSession request in flight crashes FoundationNetworking's
    /// task registry on Linux.)
    final class Sent: Sendable {
        private let count = Mutex(0)
        private let stopped = Mutex(false)
        func add() { count.withLock { $0 += 1 } }
        var value: Int { count.withLock { $0 } }
        func stop() { stopped.withLock { $0 = true } }
        var isStopped: Bool { stopped.withLock { $0 } }
    }

    /// Submits transfers from the dev account until stopped.
    static func flow(_ http: HTTP, dataDir: String, sent counter: Sent) -> Task<Int, Never> {
        Task {
            guard let key = try? KeyFile.read(from: dataDir + "/keys/dev.json").unlock(password: nil),
                  let status = try? await http.get("/api/v1/status", as: API.StatusView.self),
                  var nonce = try? await http.get("/api/v1/accounts/\(key.address)", as: API.AccountView.self).nextNonce
            else { return 0 }
            let to = SigningKey().address
            var sent = 0
            while !counter.isStopped {
                let body = TransactionBody(chainID: status.chainID, sender: key.publicKey, nonce: nonce, fee: Amount(1)!,
                                           expiresAt: status.height + 10_000, payload: .transfer(to: to, amount: Amount(1)!, memo: ""))
                if (try? await http.post("/api/v1/transactions", API.SubmitRequest(tx: Hex.encode(key.sign(body).bytes)),
                                         as: API.SubmitResponse.self)) != nil {
                    nonce += 1
                    sent += 1
                    counter.add()
                } else {
                    try? await Task.sleep(for: .milliseconds(20))  // a full pool, a rate limit, or the node going away
                }
            }
            return sent
        }
    }

    @Test("SIGTERM: nothing is proposed or committed after the signal but a commit already running, and the node exits 0")
    func sigtermCommitsNothingNew() async throws {
        let dir = try temporaryDirectory("sigterm")
        let dataDir = dir + "/data"
        let args = ["dev", "--data-dir", dataDir, "--http", "127.0.0.1:0", "--block-interval-ms", "20", "--log-format", "json"]
        for attempt in 0..<4 {
            let node = try AgoraProcess(args, logDir: dir)
            let http = HTTP(base: try await node.apiURL())
            let counter = Sent()
            let flow = Self.flow(http, dataDir: dataDir, sent: counter)
            // Signal while transactions flow: after 20 accepted, plus a delay that varies the
            // point of the block cycle the signal lands in.
            let deadline = Date().addingTimeInterval(60)
            while counter.value < 20, Date() < deadline { try await Task.sleep(for: .milliseconds(10)) }
            try await Task.sleep(for: .milliseconds(50 + 37 * attempt))
            let sentAt = UInt64(Date().timeIntervalSince1970 * 1000)
            node.signal(SIGTERM)
            let code = try await node.wait()
            counter.stop()
            let sent = await flow.value
            #expect(code == 0, "attempt \(attempt): exit \(code); stderr: \(node.stderr.suffix(2_000))")
            #expect(sent >= 20, "attempt \(attempt): only \(sent) transfers were submitted")

            let stop = try #require(Self.stopLine(node.stderr), "attempt \(attempt): the node did not log how it stopped")
            let store = try BlockStore(path: dataDir + "/agora.sqlite")
            let head = try store.head().height
            // The head that stays is the one the node reported when it stopped committing, and
            // that is at most the one commit that was already running at the signal.
            #expect(head == stop.height, "attempt \(attempt): head \(head), but the node stopped committing at \(stop.height)")
            #expect(stop.height <= stop.heightAtSignal + 1, "attempt \(attempt): \(stop)")
            if !stop.finishedCommit { #expect(stop.height == stop.heightAtSignal, "attempt \(attempt): \(stop)") }
            // And no kept block was built after the signal: a block's timestamp is its build
            // time (the allowance covers the signal's delivery on a loaded machine).
            let recent = (max(1, Int64(head) - 20)...Int64(head)).map(UInt64.init)
            let late = try recent.filter { try store.block(height: $0)!.block.header.timestamp > sentAt + 250 }
            #expect(late.isEmpty, "attempt \(attempt): blocks \(late) were built after SIGTERM")
            try store.close()
        }
    }
}
