import AgoraCore
import AgoraCrypto
import AgoraState
import AgoraStorage
import Foundation
import Testing
@testable import AgoraNode

@Suite("Node setup")
struct NodeSetupTests {
    func tempDir() -> DataDirectory { DataDirectory(NSTemporaryDirectory() + "agora-node-\(UUID().uuidString)") }

    @Test("a dev network is a funded single-validator chain with the faucet on, reused on the next start")
    func devNetwork() throws {
        let dir = tempDir()
        let dev = try NodeSetup.devNetwork(dataDir: dir, http: "127.0.0.1:0", blockIntervalMs: 100)
        let store = try BlockStore(path: dir.databaseFile)
        #expect(try store.identity()?.chainID == "agora-dev")
        #expect(try store.account(dev.devAddress).balance > .zero)
        let key = try KeyFile.read(from: dev.validatorKeyPath).unlock(password: nil)
        #expect(try store.identity()?.validatorSet.contains(key.publicKey) == true)
        try store.close()
        let again = try NodeSetup.devNetwork(dataDir: dir, http: "127.0.0.1:0", blockIntervalMs: 100)
        #expect(again.devAddress == dev.devAddress)
        let attrs = try FileManager.default.attributesOfItem(atPath: dev.devKeyPath)
        #expect((attrs[.posixPermissions] as? Int) == 0o600)
    }

    @Test("initialising a directory twice is refused")
    func initTwice() throws {
        let dir = tempDir()
        _ = try NodeSetup.devNetwork(dataDir: dir, http: "127.0.0.1:0", blockIntervalMs: 100)
        let genesis = try Genesis.load(path: dir.genesisFile)
        #expect(throws: NodeError.self) {
            try NodeSetup.initialize(dataDir: dir, genesis: genesis, validatorKeyPath: dir.keysDirectory + "/validator.json")
        }
    }

    @Test("host:port parsing names the setting")
    func hostPort() throws {
        #expect(try HostPort.parse("127.0.0.1:8645", setting: "http.address") == HostPort(host: "127.0.0.1", port: 8645))
        #expect(throws: NodeError.self) { try HostPort.parse("127.0.0.1:70000", setting: "http.address") }
        #expect(throws: NodeError.self) { try HostPort.parse("nohost", setting: "http.address") }
        #expect(HostPort(host: "0.0.0.0", port: 1).isLoopback == false)
    }
}
