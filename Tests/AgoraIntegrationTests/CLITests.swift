import AgoraAPI
import AgoraAPIModels
import AgoraCore
import AgoraCrypto
import Foundation
import Testing

/// The `agora` command line as a script would use it: output, error messages and exit codes.
@Suite("CLI", .serialized)
struct CLITests {
    @Test("keys: new prints address and path; encrypted keys need the right password; loose files are refused")
    func keys() async throws {
        let dir = try temporaryDirectory("keys")
        let keys = dir + "/keys"
        let (code, out, _) = try await AgoraProcess.run(["keys", "new", "--name", "alice", "--keys", keys], logDir: dir)
        #expect(code == 0)
        let lines = out.split(separator: "\n")
        #expect(lines.count == 2 && lines[0].hasPrefix("ag1") && lines[1] == "\(keys)/alice.json")

        let env = ["AGORA_KEY_PASSWORD": "s3cret-pass"]
        #expect(try await AgoraProcess.run(["keys", "encrypt", "alice", "--keys", keys], environment: env, logDir: dir).0 == 0)
        let file = try KeyFile.read(from: keys + "/alice.json")
        #expect(file.isEncrypted)
        #expect(!(try String(contentsOfFile: keys + "/alice.json", encoding: .utf8)).contains("s3cret-pass"))

        let (listCode, list, _) = try await AgoraProcess.run(["keys", "list", "--keys", keys], logDir: dir)
        #expect(listCode == 0 && list.contains("alice") && list.contains("encrypted"))

        // Changing the password with the wrong current one fails with a clear message.
        let (wrong, _, wrongErr) = try await AgoraProcess.run(["keys", "change-password", "alice", "--keys", keys],
                                                              environment: ["AGORA_KEY_PASSWORD": "nope", "AGORA_NEW_KEY_PASSWORD": "x"],
                                                              logDir: dir)
        #expect(wrong == 2)
        #expect(wrongErr.contains("wrong password"))
        let (changed, _, _) = try await AgoraProcess.run(["keys", "change-password", "alice", "--keys", keys],
                                                         environment: ["AGORA_KEY_PASSWORD": "s3cret-pass", "AGORA_NEW_KEY_PASSWORD": "n3w-pass"],
                                                         logDir: dir)
        #expect(changed == 0)
        #expect(try KeyFile.read(from: keys + "/alice.json").unlock(password: "n3w-pass").address.description == String(lines[0]))

        chmod(keys + "/alice.json", 0o644)
        let (loose, _, looseErr) = try await AgoraProcess.run(["keys", "show", "alice", "--keys", keys], logDir: dir)
        #expect(loose == 2)
        #expect(looseErr.contains("chmod 600"))

        #expect(FileManager.default.createFile(atPath: keys + "/broken.json", contents: Data("{\"version\": 1".utf8),
                                               attributes: [.posixPermissions: 0o600]))
        let (broken, _, brokenErr) = try await AgoraProcess.run(["keys", "show", "broken", "--keys", keys], logDir: dir)
        #expect(broken == 2 && brokenErr.contains("malformed key file"))
    }

    @Test("tx and query against a dev node: success, failure on chain, rejection and an unreachable node have distinct exit codes")
    func transactions() async throws {
        let dir = try temporaryDirectory("cli-tx")
        let node = try AgoraProcess(["dev", "--data-dir", dir + "/data", "--http", "127.0.0.1:0", "--block-interval-ms", "100",
                                     "--log-level", "warning"], logDir: dir)
        let url = try await node.apiURL()
        #expect(node.stdout.contains("dev key:"))
        let devKey = dir + "/data/keys/dev.json"
        let keys = dir + "/keys"
        let (_, newOut, _) = try await AgoraProcess.run(["keys", "new", "--name", "bob", "--keys", keys], logDir: dir)
        let bob = String(newOut.split(separator: "\n")[0])

        let (ok, okOut, okErr) = try await AgoraProcess.run(["tx", "transfer", "--node", url, "--key", devKey, "--to", bob,
                                                            "--amount", "2500", "--wait"], logDir: dir)
        #expect(ok == 0, "\(okErr)")
        #expect(okOut.contains("committed at height"))

        let (q, qOut, _) = try await AgoraProcess.run(["query", "account", "--node", url, bob], logDir: dir)
        #expect(q == 0)
        let account = try JSONDecoder().decode(API.AccountView.self, from: Data(qOut.utf8))
        #expect(account.balance == 2500)

        // Bob pays the fee but cannot send more than he has: committed, failed, exit 1.
        let (failed, _, failedErr) = try await AgoraProcess.run(["tx", "transfer", "--node", url, "--keys", keys, "--key", "bob",
                                                                "--to", bob, "--amount", "999999", "--wait"], logDir: dir)
        #expect(failed == 1)
        #expect(failedErr.contains("insufficient_balance") || failedErr.contains("is less than"))

        // Faucet once works, twice is rejected at admission.
        #expect(try await AgoraProcess.run(["tx", "faucet", "--node", url, "--keys", keys, "--key", "bob", "--wait"], logDir: dir).0 == 0)
        let (again, _, againErr) = try await AgoraProcess.run(["tx", "faucet", "--node", url, "--keys", keys, "--key", "bob", "--wait"],
                                                              logDir: dir)
        #expect(again == 1 && againErr.contains("faucet_already_claimed"))

        let (badTo, _, badToErr) = try await AgoraProcess.run(["tx", "transfer", "--node", url, "--key", devKey, "--to", "ag1nope",
                                                              "--amount", "1"], logDir: dir)
        #expect(badTo == 2 && badToErr.contains("--to \"ag1nope\" has 7 characters"))
        // One mistyped character of a real address, and the pre-checksum hex form: exit 2, nothing sent.
        var typo = Array(SigningKey().address.description)
        typo[20] = typo[20] == "q" ? "p" : "q"
        for (to, reason) in [(String(typo), "bad checksum"), ("ag1" + String(repeating: "de", count: 20), "Bech32m")] {
            let (code, _, err) = try await AgoraProcess.run(["tx", "transfer", "--node", url, "--key", devKey, "--to", to, "--amount", "1"], logDir: dir)
            #expect(code == 2 && err.contains(reason), "\(to): \(err)")
        }

        let (block, blockOut, _) = try await AgoraProcess.run(["query", "block", "--node", url, "latest"], logDir: dir)
        #expect(block == 0 && blockOut.contains("\"stateRoot\""))

        let (down, _, downErr) = try await AgoraProcess.run(["status", "--node", "http://127.0.0.1:1"], logDir: dir)
        #expect(down == 3 && downErr.contains("cannot reach node"))

        node.signal(SIGTERM)
        #expect(try await node.wait() == 0)
    }

    @Test("init writes a chain once; start refuses another chain's data")
    func initAndStart() async throws {
        let dir = try temporaryDirectory("init")
        let (code, out, err) = try await AgoraProcess.run(["init", "--data-dir", dir + "/a", "--chain-id", "alpha",
                                                          "--validator-key", dir + "/va.json", "--faucet", "10"], logDir: dir)
        #expect(code == 0, "\(err)")
        #expect(out.contains("initialised chain alpha"))
        let (twice, _, twiceErr) = try await AgoraProcess.run(["init", "--data-dir", dir + "/a", "--chain-id", "alpha",
                                                              "--validator-key", dir + "/va.json"], logDir: dir)
        #expect(twice == 2 && twiceErr.contains("already holds a chain"))
        #expect(try await AgoraProcess.run(["init", "--data-dir", dir + "/b", "--chain-id", "beta", "--validator-key", dir + "/va.json"],
                                           logDir: dir).0 == 0)

        // Swap in beta's database under alpha's settings: the node refuses it, naming both chains.
        try FileManager.default.removeItem(atPath: dir + "/a/agora.sqlite")
        try FileManager.default.copyItem(atPath: dir + "/b/agora.sqlite", toPath: dir + "/a/agora.sqlite")
        let (mixed, _, mixedErr) = try await AgoraProcess.run(["start", "--data-dir", dir + "/a", "--http", "127.0.0.1:0"], logDir: dir)
        #expect(mixed == 2)
        #expect(mixedErr.contains("belongs to chain beta, not alpha"))

        let (badGenesis, _, badGenesisErr) = try await AgoraProcess.run(
            ["init", "--data-dir", dir + "/c", "--chain-id", "BAD ID", "--validator-key", dir + "/va.json"], logDir: dir)
        #expect(badGenesis == 2 && badGenesisErr.contains("chainID"))

        let (noDir, _, noDirErr) = try await AgoraProcess.run(["start", "--data-dir", dir + "/missing"], logDir: dir)
        #expect(noDir == 2 && noDirErr.contains("agora init"))
    }
}
