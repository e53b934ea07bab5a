import AgoraAPI
import AgoraAPIModels
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
        // Tried once more after the deadline: a sleep that overran it on a starved executor
        // must not turn a condition that now holds into a timeout.
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if (try? await condition()) == true { return }
            guard Date() < deadline else { break }
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

    @Test("five nodes that each know only their neighbour find each other, gossip reaches all of them, and all agree")
    func fiveNodeLine() async throws {
        let dir = try temporaryDirectory("net5")
        let funded = SigningKey()
        let (initCode, _, initErr) = try await AgoraProcess.run(
            ["init", "--data-dir", dir + "/n0", "--chain-id", "net5", "--validator-key", dir + "/n0.json", "--block-interval-ms", "300",
             "--allocate", "\(funded.address)=1000000"], logDir: dir)
        #expect(initCode == 0, "\(initErr)")
        var nodes: [(AgoraProcess, HTTP, String)] = []
        defer { for n in nodes { n.0.signal(SIGKILL) } }
        for i in 0..<5 {
            if i > 0 {
                let (code, _, err) = try await AgoraProcess.run(["init", "--data-dir", "\(dir)/n\(i)", "--chain-id", "net5", "--genesis",
                                                                dir + "/n0/genesis.json", "--validator-key", "\(dir)/n\(i).json"], logDir: dir)
                #expect(code == 0, "\(err)")
            }
            // A line: each node's only bootstrap peer is the one before it.
            var args = ["start", "--data-dir", "\(dir)/n\(i)", "--http", "127.0.0.1:0", "--p2p", "127.0.0.1:0", "--log-level", "warning"]
            if let previous = nodes.last { args += ["--peers", previous.2] }
            let p = try AgoraProcess(args, logDir: dir)
            nodes.append((p, HTTP(base: try await p.apiURL()), try await p.p2pAddress()))
        }
        try await waitFor("peer exchange links the line into a mesh", timeout: 60) {
            for (_, http, _) in nodes where try await http.get("/api/v1/peers", as: API.ListView<PeerView>.self).items.count < 3 {
                return false
            }
            return true
        }
        // Submitted at the far end of the line: it must cross the network to the validator.
        let far = nodes[4].1
        let status = try await far.get("/api/v1/status", as: API.StatusView.self)
        var ids: [Hash] = []
        for nonce in 0..<5 {
            let tx = funded.sign(TransactionBody(chainID: "net5", sender: funded.publicKey, nonce: UInt64(nonce), fee: Amount(1)!,
                                                 expiresAt: status.height + 1_000,
                                                 payload: .transfer(to: SigningKey().address, amount: Amount(10)!, memo: "")))
            _ = try await far.post("/api/v1/transactions", API.SubmitRequest(tx: Hex.encode(tx.bytes)), as: API.SubmitResponse.self)
            ids.append(tx.id)
        }
        try await waitFor("all five transfers are committed on every node") {
            for (_, http, _) in nodes {
                for id in ids where try await http.get("/api/v1/transactions/\(id.hex)", as: API.TransactionStatusView.self).status != "committed" {
                    return false
                }
            }
            return true
        }
        let target = try await nodes[0].1.get("/api/v1/status", as: API.StatusView.self).height
        try await waitFor("every node reaches the validator's height") {
            for (_, http, _) in nodes where try await http.get("/api/v1/status", as: API.StatusView.self).height < target { return false }
            return true
        }
        let heads = try await nodes.asyncMap { try await $0.1.get("/api/v1/blocks/\(target)", as: API.BlockView.self) }
        #expect(Set(heads.map(\.hash)).count == 1 && Set(heads.map(\.stateRoot)).count == 1, "one chain")

        // Blocks and transactions went through the gossip mesh, not a flood: every node has a
        // mesh and counted gossip arrivals.
        for (_, http, _) in nodes {
            let text = try await http.text("/metrics")
            #expect(text.contains("agora_p2p_mesh_peers{topic=\"blocks\"}"))
            #expect(text.contains("agora_p2p_gossip_received_total"))
        }

        // Node 3 dies; 50 blocks later it comes back, catches up from its peers, and agrees on
        // every block hash and state root.
        nodes[3].0.signal(SIGKILL)
        _ = try await nodes[3].0.wait()
        let killedAt = try await nodes[0].1.get("/api/v1/status", as: API.StatusView.self).height
        try await waitFor("50 blocks pass without node 3", timeout: 90) {
            try await nodes[0].1.get("/api/v1/status", as: API.StatusView.self).height >= killedAt + 50
        }
        let back = try AgoraProcess(["start", "--data-dir", "\(dir)/n3", "--http", "127.0.0.1:0", "--p2p", "127.0.0.1:0",
                                     "--log-level", "warning", "--peers", nodes[2].2], logDir: dir)
        nodes[3] = (back, HTTP(base: try await back.apiURL()), try await back.p2pAddress())
        let goal = try await nodes[0].1.get("/api/v1/status", as: API.StatusView.self).height
        try await waitFor("node 3 catches up", timeout: 90) {
            try await nodes[3].1.get("/api/v1/status", as: API.StatusView.self).height >= goal
        }
        for h in 1...goal {
            let a = try await nodes[0].1.get("/api/v1/blocks/\(h)", as: API.BlockView.self)
            let b = try await nodes[3].1.get("/api/v1/blocks/\(h)", as: API.BlockView.self)
            #expect(a.hash == b.hash && a.stateRoot == b.stateRoot, "height \(h)")
            if a.hash != b.hash { break }
        }
    }

    @Test("agora simulate network runs real nodes and prints propagation, duplicates and late-joiner figures")
    func simulateNetwork() async throws {
        let dir = try temporaryDirectory("sim")
        let (code, out, err) = try await AgoraProcess.run(
            ["simulate", "network", "--nodes", "4", "--txs", "20", "--rate", "20", "--sync-txs", "200", "--block-interval-ms", "300"],
            logDir: dir, timeout: 300)
        #expect(code == 0, "\(err)\n\(out)")
        #expect(out.contains("transaction propagation"))
        #expect(out.contains("reached 100.00% of (transaction, node) pairs"), "\(out)")
        #expect(out.contains("block propagation"))
        #expect(out.contains("late joiner: "))
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
