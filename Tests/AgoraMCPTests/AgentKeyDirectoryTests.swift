import AgoraCore
import AgoraCrypto
import Foundation
import Testing
@testable import AgoraMCP

/// The agent key directory a running node re-reads: keys added, replaced, broken, encrypted
/// without the node's password, validator keys, and the file-count bound.
@Suite struct AgentKeyDirectoryTests {
    func directory() throws -> String {
        let path = NSTemporaryDirectory() + "agora-agent-keys-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        return path
    }

    @Test func aKeyWrittenAfterTheFirstReadIsFoundByTheNextScan() throws {
        let path = try directory()
        let keys = AgentKeyDirectory(path: path, password: nil, validatorKeys: [])
        #expect(keys.scan().agents.isEmpty)
        let alice = SigningKey()
        try KeyFile.plaintext(alice, name: "alice").write(to: path + "/alice.json")
        let ring = keys.scan()
        #expect(try ring.agent(named: "alice").key.publicKey == alice.publicKey)
    }

    @Test func aReplacedKeyFileIsReadAgain() throws {
        let path = try directory()
        let keys = AgentKeyDirectory(path: path, password: nil, validatorKeys: [])
        try KeyFile.plaintext(SigningKey(), name: "alice").write(to: path + "/alice.json")
        _ = keys.scan()
        let second = SigningKey()
        try KeyFile.plaintext(second, name: "alice").write(to: path + "/alice.json", replace: true)
        #expect(try keys.scan().agent(named: "alice").key.publicKey == second.publicKey)
    }

    @Test func problemsAreTypedAndNamed() throws {
        let path = try directory()
        let validator = SigningKey()
        try KeyFile.plaintext(validator, name: "validator").write(to: path + "/validator.json")
        try KeyFile.encrypted(SigningKey(), name: "locked", password: "correct horse").write(to: path + "/locked.json")
        let fd = open(path + "/broken.json", O_CREAT | O_WRONLY, 0o600)
        _ = write(fd, "{nope", 5)
        close(fd)
        let ring = AgentKeyDirectory(path: path, password: nil, validatorKeys: [validator.publicKey]).scan()
        #expect(ring.unavailable["validator"] == .validatorKey)
        #expect(ring.unavailable["locked"] == .encryptedWithoutPassword)
        guard case .unreadable(.malformed)? = ring.unavailable["broken"] else {
            Issue.record("broken.json: \(String(describing: ring.unavailable["broken"]))")
            return
        }
        #expect(throws: AgentKeyring.Selection.unavailable(name: "locked", problem: .encryptedWithoutPassword)) {
            try ring.agent(named: "locked")
        }
        #expect("\(AgentKeyring.KeyProblem.encryptedWithoutPassword)".contains("AGORA_KEY_PASSWORD"))
        let unlocked = AgentKeyDirectory(path: path, password: "correct horse", validatorKeys: []).scan()
        #expect(unlocked.agents["locked"] != nil)
    }

    @Test func onlyTheFirstMaxKeyFilesAreRead() throws {
        let path = try directory()
        let key = KeyFile.plaintext(SigningKey(), name: "k")
        for i in 0...AgentKeyring.maxKeyFiles { try key.write(to: path + "/" + String(format: "k%05d", i) + ".json") }
        let ring = AgentKeyDirectory(path: path, password: nil, validatorKeys: []).scan()
        #expect(ring.agents.count == AgentKeyring.maxKeyFiles)
        #expect(ring.unavailable[String(format: "k%05d", AgentKeyring.maxKeyFiles)] == .beyondLimit(AgentKeyring.maxKeyFiles))
    }
}
