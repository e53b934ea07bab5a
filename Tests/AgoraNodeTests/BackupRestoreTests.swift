import AgoraConsensus
import AgoraCore
import AgoraCrypto
import AgoraLedger
import AgoraStorage
import Foundation
import Testing
@testable import AgoraNode

/// The backup file and restore: a round trip gives the same database and a new identity; every
/// kind of damaged file and unsuitable target is refused by name with nothing left behind; a
/// moved validator's guard refuses every height it can have signed at.
@Suite("Backup and restore")
struct BackupRestoreTests {
    let root = NSTemporaryDirectory() + "agora-backup-\(UUID().uuidString)"

    /// A dev chain's data directory with one artifact, and its backup file.
    func backup() throws -> (source: DataDirectory, file: String) {
        let dev = try NodeSetup.devNetwork(dataDir: DataDirectory(root + "/source"), http: "127.0.0.1:0", blockIntervalMs: 100)
        let content = Array("an artifact".utf8)
        let id = Hash.sha256(content)
        let layout = ArtifactLayout(root: dev.dataDir.artifactsDirectory)
        try FileManager.default.createDirectory(atPath: layout.directory(for: id), withIntermediateDirectories: true)
        try Data(content).write(to: URL(fileURLWithPath: layout.path(for: id)))
        let file = root + "/b.agorabak"
        let report = try NodeBackup.create(dataDir: dev.dataDir, out: file, version: "test", now: 1)
        #expect(report.header.chainID == "agora-dev" && report.header.height == 0)
        #expect(Set(report.header.entries.map(\.path)) == ["agora.sqlite", "genesis.json", "agora.json",
                                                          "artifacts/sha256/\(id.hex.prefix(2))/\(id.hex.dropFirst(2).prefix(2))/\(id.hex)"])
        return (dev.dataDir, file)
    }

    func refusal(_ body: () throws -> Void) -> BackupError? {
        do { try body() } catch let e as BackupError { return e } catch { Issue.record("untyped: \(error)") }
        return nil
    }

    func leftovers() -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).filter { $0.contains(".restore-") } }

    @Test("a restore reproduces the database and artifacts, with a new follower key and no signing state")
    func roundTrip() throws {
        let (source, file) = try backup()
        let target = DataDirectory(root + "/restored")
        let report = try NodeRestore.restore(file: file, into: target, move: nil)
        #expect(report.guardHeight == nil)
        let restored = try BlockStore.backupPoint(path: target.databaseFile)
        let original = try BlockStore.backupPoint(path: source.databaseFile)
        #expect(restored == original)
        #expect(!FileManager.default.fileExists(atPath: target.consensusDirectory))
        let settings = try NodeRestore.readSettings(target.settingsFile)
        #expect((settings["validator"] as? [String: Any])?["key"] as? String == target.keysDirectory + "/node.json")
        let key = try KeyFile.read(from: target.keysDirectory + "/node.json")
        #expect(key.publicKey != (try KeyFile.read(from: source.keysDirectory + "/validator.json")).publicKey)
        #expect(FileManager.default.fileExists(atPath: target.artifactsDirectory + "/sha256"))
        #expect(leftovers().isEmpty)
    }

    @Test("a truncated, padded, bit-flipped or foreign file is refused by name and leaves nothing")
    func damagedFiles() throws {
        let (_, file) = try backup()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        let target = DataDirectory(root + "/t")
        func attempt(_ data: Data) -> BackupError? {
            let path = root + "/damaged-\(UUID().uuidString)"
            FileManager.default.createFile(atPath: path, contents: data)
            return refusal { _ = try NodeRestore.restore(file: path, into: target, move: nil) }
        }
        #expect(attempt(bytes.prefix(bytes.count - 1))?.code == "truncated_backup")
        #expect(attempt(bytes.prefix(40))?.code == "truncated_backup")
        #expect(attempt(bytes + Data([0]))?.code == "truncated_backup")
        var flipped = bytes
        flipped[bytes.count - 100] ^= 1
        #expect(attempt(flipped)?.code == "corrupt_backup")
        #expect(attempt(Data("SQLite format 3".utf8) + bytes)?.code == "not_a_backup")
        var version = bytes
        version[8] = 9
        #expect(attempt(version)?.code == "unsupported_backup_version")
        #expect(!FileManager.default.fileExists(atPath: target.path))
        #expect(leftovers().isEmpty)
    }

    @Test("entry paths outside the allowed set are refused: a backup cannot write outside its directory")
    func paths() {
        #expect(BackupHeader.allowed("agora.sqlite") && BackupHeader.allowed("genesis.json"))
        let hex = String(repeating: "ab", count: 32)
        #expect(BackupHeader.allowed("artifacts/sha256/ab/ab/\(hex)"))
        for bad in ["../agora.sqlite", "/etc/passwd", "consensus/sign-state-x.json", "keys/validator.json",
                    "artifacts/sha256/ab/ab/../../../x", "artifacts/sha256/cd/ab/\(hex)", "artifacts/tmp/x.part"] {
            #expect(!BackupHeader.allowed(bad), "\(bad)")
        }
    }

    @Test("a target that is not empty, or prepared for another chain, is refused and left as it was")
    func targets() throws {
        let (_, file) = try backup()
        let busy = DataDirectory(root + "/busy")
        try FileManager.default.createDirectory(atPath: busy.path, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: busy.path + "/agora.sqlite", contents: Data([1]))
        let notEmpty = refusal { _ = try NodeRestore.restore(file: file, into: busy, move: nil) }
        #expect(notEmpty == .targetNotEmpty(directory: busy.path, found: "agora.sqlite"))
        let other = DataDirectory(root + "/other")
        try FileManager.default.createDirectory(atPath: other.path, withIntermediateDirectories: true)
        try NodeConfig.writeFile(other, values: ["chain.id": "another-chain"])
        #expect(refusal { _ = try NodeRestore.restore(file: file, into: other, move: nil) }?.code == "other_chain")
        #expect(try FileManager.default.contentsOfDirectory(atPath: other.path) == ["agora.json"])
        // Prepared settings of the same chain are kept.
        let prepared = DataDirectory(root + "/prepared")
        try FileManager.default.createDirectory(atPath: prepared.path, withIntermediateDirectories: true)
        try NodeConfig.writeFile(prepared, values: ["chain.id": "agora-dev", "http.address": "127.0.0.1:9999"])
        _ = try NodeRestore.restore(file: file, into: prepared, move: nil)
        let settings = try NodeRestore.readSettings(prepared.settingsFile)
        #expect((settings["http"] as? [String: Any])?["address"] as? String == "127.0.0.1:9999")
        #expect(leftovers().isEmpty)
    }

    @Test("a moved validator's guard refuses every position up to the given height and signs above it")
    func moveValidator() throws {
        let (source, file) = try backup()
        let keyPath = source.keysDirectory + "/validator.json"
        let key = try KeyFile.read(from: keyPath).unlock(password: nil)
        let target = DataDirectory(root + "/moved")
        let report = try NodeRestore.restore(file: file, into: target, move: .init(key: key, keyPath: keyPath, signedUpTo: 40))
        #expect(report.guardHeight == 40)
        let settings = try NodeRestore.readSettings(target.settingsFile)
        #expect((settings["storage"] as? [String: Any])?["recoverFromPeers"] as? Bool == true)
        var signing = try SigningGuard(key: key, store: FileSignStateStore(
            path: ConsensusService.signStatePath(directory: target.consensusDirectory, key: key.publicKey)))
        for (height, round) in [(UInt64(1), UInt32(0)), (39, 7), (40, 0), (40, 1_000)] {
            let vote = Vote(chainID: "agora-dev", height: height, round: round, kind: .precommit, blockHash: .sha256([1]))
            #expect(throws: SigningGuard.Refusal.self) { _ = try signing.sign(vote) }
        }
        _ = try signing.sign(Vote(chainID: "agora-dev", height: 41, round: 0, kind: .prevote, blockHash: .sha256([1])))
    }
}
