import AgoraAPI
import AgoraAPIModels
import AgoraCore
import AgoraCrypto
import Foundation
import Testing

/// SIGKILL a real node at random points while a client submits transfers; after each restart,
/// everything the node reported committed is still there, balances add up to the supply, and
/// blocks keep coming.
@Suite("Crash safety", .serialized)
struct CrashSafetyTests {
    @Test("committed transfers survive SIGKILL at several points and the node resumes")
    func killAndRestart() async throws {
        let dir = try temporaryDirectory("crash")
        let dataDir = dir + "/data"
        let args = ["dev", "--data-dir", dataDir, "--http", "127.0.0.1:0", "--block-interval-ms", "100", "--log-level", "warning"]
        var node = try AgoraProcess(args, logDir: dir)
        var http = HTTP(base: try await node.apiURL())
        let devKey = try KeyFile.read(from: dataDir + "/keys/dev.json").unlock(password: nil)
        let recipients = (0..<5).map { _ in SigningKey().address }
        let status = try await http.get("/api/v1/status", as: API.StatusView.self)
        let accounts = [devKey.address, ModuleTreasury.address(status), Address(status.validator)!] + recipients

        var committed: [String: UInt64] = [:]   // tx ID → height the node reported
        var rng = SplitMix64(seed: 0xC0FFEE)
        let killPoints = 4
        for cycle in 0..<killPoints {
            // Submit and watch for a random while, then kill without warning.
            let runFor = Double.random(in: 0.4...1.6, using: &rng)
            let deadline = Date().addingTimeInterval(runFor)
            // On a loaded machine the random window may pass before anything commits: the kill
            // point stays random, but a cycle runs on (up to 30 s more) until it saw two commits.
            let seenBefore = committed.count
            let cap = deadline.addingTimeInterval(30)
            var pending: [String] = []
            var nonce = try await http.get("/api/v1/accounts/\(devKey.address)", as: API.AccountView.self).nextNonce
            let head = try await http.get("/api/v1/status", as: API.StatusView.self).height
            while Date() < deadline || (committed.count < seenBefore + 2 && Date() < cap) {
                let body = TransactionBody(chainID: status.chainID, sender: devKey.publicKey, nonce: nonce, fee: Amount(1)!,
                                           expiresAt: head + 10_000,
                                           payload: .transfer(to: recipients[Int(nonce) % recipients.count],
                                                              amount: Amount(UInt64(1 + cycle))!, memo: "cycle \(cycle)"))
                let tx = devKey.sign(body)
                _ = try await http.post("/api/v1/transactions", API.SubmitRequest(tx: Hex.encode(tx.bytes)), as: API.SubmitResponse.self)
                pending.append(tx.id.hex)
                nonce += 1
                var still: [String] = []
                for id in pending {
                    let s = try await http.get("/api/v1/transactions/\(id)", as: API.TransactionStatusView.self)
                    if s.status == "committed" { committed[id] = s.height } else { still.append(id) }
                }
                pending = still
            }
            node.signal(SIGKILL)
            let code = try await node.wait()
            #expect(code != 0, "SIGKILL should not look like a clean exit")

            node = try AgoraProcess(args, logDir: dir)
            http = HTTP(base: try await node.apiURL())
            let restarted = try await http.get("/api/v1/status", as: API.StatusView.self)

            for (id, height) in committed {
                let s = try await http.get("/api/v1/transactions/\(id)", as: API.TransactionStatusView.self)
                #expect(s.status == "committed" && s.height == height, "cycle \(cycle): \(id) was committed at \(height), now \(s.status)")
            }
            var sum: UInt64 = 0
            for a in accounts { sum += try await http.get("/api/v1/accounts/\(a)", as: API.AccountView.self).balance }
            #expect(sum == restarted.params.totalSupply, "cycle \(cycle): balances \(sum) vs supply \(restarted.params.totalSupply)")

            // Blocks keep coming after the restart.
            let before = restarted.height
            let until = Date().addingTimeInterval(10)
            var after = before
            while after <= before + 2, Date() < until {
                try await Task.sleep(for: .milliseconds(100))
                after = try await http.get("/api/v1/status", as: API.StatusView.self).height
            }
            #expect(after > before + 2, "cycle \(cycle): head stuck at \(before)")
        }
        #expect(committed.count > 5, "the client saw too few commits to prove anything (\(committed.count))")
        node.signal(SIGTERM)
        #expect(try await node.wait() == 0, "SIGTERM stops the node cleanly")
    }
}

enum ModuleTreasury {
    static func address(_ status: API.StatusView) -> Address { Address(status.params.treasury)! }
}
