import AgoraAPI
import AgoraCore
import AgoraCrypto
import Foundation
import Testing

/// A validator and followers as real processes on 127.0.0.1.
@Suite("Network", .serialized)
struct NetworkTests {
    func p2pAddress(_ p: AgoraProcess) async throws -> String { try await p.p2pAddress(timeout: 30) }

    func startFollower(_ dir: String, _ name: String, validatorP2P: String) async throws -> (AgoraProcess, HTTP) {
        let p = try AgoraProcess(["start", "--data-dir", "\(dir)/\(name)", "--http", "127.0.0.1:0", "--p2p", "127.0.0.1:0",
                                  "--peers", validatorP2P, "--log-level", "warning"], logDir: dir)
        return (p, HTTP(base: try await p.apiURL()))
    }

    func waitFor(_ what: String, timeout: Double = 30, _ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if (try? await condition()) == true { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw HarnessError.timeout(what)
    }

    @Test("a transfer submitted to a follower is committed by the validator, every node agrees, and a restarted follower catches up")
    func followersAgree() async throws {
        let dir = try temporaryDirectory("net")
        let funded = SigningKey()
        try KeyFile.plaintext(funded, name: "funded").write(to: dir + "/funded.json")
        let (initCode, _, initErr) = try await AgoraProcess.run(
            ["init", "--data-dir", dir + "/v", "--chain-id", "net", "--validator-key", dir + "/v.json", "--block-interval-ms", "200",
             "--allocate", "\(funded.address)=1000000"], logDir: dir)
        #expect(initCode == 0, "\(initErr)")
        for name in ["f1", "f2"] {
            let (code, _, err) = try await AgoraProcess.run(["init", "--data-dir", "\(dir)/\(name)", "--chain-id", "net", "--genesis",
                                                            dir + "/v/genesis.json", "--validator-key", "\(dir)/\(name).json"], logDir: dir)
            #expect(code == 0, "\(err)")
        }
        let validator = try AgoraProcess(["start", "--data-dir", dir + "/v", "--http", "127.0.0.1:0", "--p2p", "127.0.0.1:0",
                                          "--log-level", "warning"], logDir: dir)
        let v = HTTP(base: try await validator.apiURL())
        let vp2p = try await p2pAddress(validator)
        var (f1, f1http) = try await startFollower(dir, "f1", validatorP2P: vp2p)
        let (f2, f2http) = try await startFollower(dir, "f2", validatorP2P: vp2p)
        defer { validator.signal(SIGKILL); f1.signal(SIGKILL); f2.signal(SIGKILL) }

        try await waitFor("followers connect and sync") {
            let peers = try await v.get("/api/v1/peers", as: API.ListView<PeerView>.self).items
            let vh = try await v.get("/api/v1/status", as: API.StatusView.self).height
            let h1 = try await f1http.get("/api/v1/status", as: API.StatusView.self).height
            return peers.count == 2 && h1 + 2 >= vh && vh > 3
        }

        // Submit at follower 2: it gossips to the validator, which commits; the block reaches everyone.
        let status = try await f2http.get("/api/v1/status", as: API.StatusView.self)
        let tx = funded.sign(TransactionBody(chainID: "net", sender: funded.publicKey, nonce: 0, fee: Amount(1)!,
                                             expiresAt: status.height + 1_000,
                                             payload: .transfer(to: SigningKey().address, amount: Amount(777)!, memo: "via f2")))
        _ = try await f2http.post("/api/v1/transactions", API.SubmitRequest(tx: Hex.encode(tx.bytes)), as: API.SubmitResponse.self)
        var height: UInt64 = 0
        try await waitFor("the transfer is committed everywhere") {
            var heights: [UInt64] = []
            for node in [v, f1http, f2http] {
                let s = try await node.get("/api/v1/transactions/\(tx.id.hex)", as: API.TransactionStatusView.self)
                guard s.status == "committed", let h = s.height else { return false }
                heights.append(h)
            }
            height = heights[0]
            return Set(heights).count == 1
        }
        let hashes = try await [v, f1http, f2http].asyncMap { try await $0.get("/api/v1/blocks/\(height)", as: API.BlockView.self) }
        #expect(Set(hashes.map(\.hash)).count == 1 && Set(hashes.map(\.stateRoot)).count == 1)

        // Follower 1 goes away for a while; on return it catches up and agrees on every block.
        f1.signal(SIGKILL)
        _ = try await f1.wait()
        let before = try await v.get("/api/v1/status", as: API.StatusView.self).height
        try await waitFor("the chain moves on without f1") {
            try await v.get("/api/v1/status", as: API.StatusView.self).height >= before + 25
        }
        (f1, f1http) = try await startFollower(dir, "f1", validatorP2P: vp2p)
        let target = try await v.get("/api/v1/status", as: API.StatusView.self).height
        try await waitFor("f1 catches up") {
            try await f1http.get("/api/v1/status", as: API.StatusView.self).height >= target
        }
        for h in stride(from: UInt64(1), through: target, by: Int(max(1, target / 10))) {
            let a = try await v.get("/api/v1/blocks/\(h)", as: API.BlockView.self)
            let b = try await f1http.get("/api/v1/blocks/\(h)", as: API.BlockView.self)
            #expect(a.hash == b.hash && a.stateRoot == b.stateRoot, "height \(h)")
        }
        // A follower never produces: its blocks are the validator's.
        let head = try await f1http.get("/api/v1/blocks/\(target)", as: API.BlockView.self)
        #expect(head.proposer == (try await v.get("/api/v1/blocks/\(target)", as: API.BlockView.self)).proposer)
    }

    struct PeerView: Codable, Sendable { let peerID: String; let height: UInt64 }
}

extension Array {
    func asyncMap<T>(_ f: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for e in self { out.append(try await f(e)) }
        return out
    }
}
