import AgoraConsensus
import AgoraCore
import AgoraCrypto
import AgoraLedger
import AgoraState
import AgoraStorage
import Foundation

/// `agora restore`: a backup file into a new data directory. The whole file is verified while it
/// is written into a temporary directory beside the target, which is renamed into place only
/// when everything checked out, so the target is either untouched or complete.
///
/// A restored directory never inherits signing state. By default it gets a fresh node key that
/// is in no validator set: it follows the chain. Moving a validator on purpose (`MoveValidator`)
/// names the validator's key and the highest height the old machine can have signed at; the
/// restored directory's signing guard is raised past it (a signed fence proposal, never sent, at round
/// 2^32−1, which the guard treats like any last signature: everything at or below is refused),
/// so the validator signs again only at heights the old copy cannot have signed.
public enum NodeRestore {
    public struct MoveValidator: Sendable {
        public var key: SigningKey
        public var keyPath: String
        /// The highest height the old copy can have signed at (see `guardHeight`).
        public var signedUpTo: UInt64
        public init(key: SigningKey, keyPath: String, signedUpTo: UInt64) {
            self.key = key
            self.keyPath = keyPath
            self.signedUpTo = signedUpTo
        }
    }

    public struct Report: Sendable {
        public var header: BackupHeader
        public var directory: String
        /// The key the restored node runs with.
        public var nodeKeyPath: String
        /// With `--move-validator`: every height at or below this is refused by the guard.
        public var guardHeight: UInt64?
    }

    /// Files an operator may have put in the target beforehand (checked against the backup's chain
    /// and kept); anything else makes the target not empty.
    static let prepared = ["genesis.json", "agora.json"]

    /// The header of a backup file (prefix, header and size checked; contents not yet).
    public static func header(of file: String) throws -> BackupHeader { try BackupReader(file: file).header }

    public static func restore(file: String, into target: DataDirectory, move: MoveValidator?) throws -> Report {
        let reader = try BackupReader(file: file)
        try checkTarget(target, chainID: reader.header.chainID, file: file)
        let fm = FileManager.default
        let parent = (target.path as NSString).deletingLastPathComponent
        let temp = parent + "/." + (target.path as NSString).lastPathComponent + ".restore-\(UInt64.random(in: 0...UInt64.max))"
        do { try fm.createDirectory(atPath: temp, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700]) } catch {
            throw BackupError.io(path: temp, reason: "\(error)")
        }
        do {
            try reader.verify(into: temp)
            let point = try BlockStore.backupPoint(path: temp + "/agora.sqlite")
            guard point.chainID == reader.header.chainID, point.height == reader.header.height, point.headHash.hex == reader.header.headHash else {
                throw BackupError.corrupt(file: file, what: "its database holds chain \(point.chainID) at \(point.height), the header says \(reader.header.chainID) at \(reader.header.height)")
            }
            for name in prepared where fm.fileExists(atPath: target.path + "/" + name) {
                try? fm.removeItem(atPath: temp + "/" + name)
                try fm.copyItem(atPath: target.path + "/" + name, toPath: temp + "/" + name)
            }
            let staged = DataDirectory(temp)
            try staged.create()
            let report = try settle(staged, final: target, header: reader.header, move: move)
            for name in prepared { try? fm.removeItem(atPath: target.path + "/" + name) }
            guard rename(temp, target.path) == 0 else {
                throw BackupError.io(path: target.path, reason: "cannot move the restored directory into place: errno \(errno)")
            }
            return report
        } catch {
            try? fm.removeItem(atPath: temp)
            throw error
        }
    }

    /// The target must be absent, or a directory holding nothing but prepared files of the same chain.
    static func checkTarget(_ target: DataDirectory, chainID: String, file: String) throws {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: target.path, isDirectory: &isDirectory) else { return }
        guard isDirectory.boolValue else { throw BackupError.targetNotEmpty(directory: target.path, found: "a file, not a directory") }
        let contents = (try? fm.contentsOfDirectory(atPath: target.path)) ?? []
        if let other = contents.sorted().first(where: { !prepared.contains($0) }) {
            throw BackupError.targetNotEmpty(directory: target.path, found: other)
        }
        if contents.contains("genesis.json") {
            let named: String
            do { named = try Genesis.load(path: target.genesisFile).chainID } catch {
                throw BackupError.io(path: target.genesisFile, reason: "cannot read the genesis already there: \(error)")
            }
            guard named == chainID else { throw BackupError.otherChain(file: file, backup: chainID, target: named, targetFile: target.genesisFile) }
        }
        if contents.contains("agora.json") {
            let settings = try readSettings(target.settingsFile)
            if let named = (settings["chain"] as? [String: Any])?["id"] as? String, named != chainID {
                throw BackupError.otherChain(file: file, backup: chainID, target: named, targetFile: target.settingsFile)
            }
        }
    }

    static func readSettings(_ path: String) throws -> [String: Any] {
        guard let data = FileManager.default.contents(atPath: path),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw BackupError.io(path: path, reason: "not a JSON object of settings")
        }
        return object
    }

    /// Gives the staged directory its own identity: a fresh follower key, or the moved validator's
    /// key with its guard raised; rewrites the settings to name it (paths as in the final place).
    static func settle(_ staged: DataDirectory, final: DataDirectory, header: BackupHeader, move: MoveValidator?) throws -> Report {
        var settings = FileManager.default.fileExists(atPath: staged.settingsFile) ? try readSettings(staged.settingsFile) : [:]
        settings = NodeConfig.insert(settings, ["chain", "id"][...], header.chainID)
        if var validator = settings["validator"] as? [String: Any] {
            // A next key (rotation) of the old machine is its secret too: never carried over.
            validator["nextKey"] = nil
            settings["validator"] = validator
        }
        let keyPath: String
        var guardHeight: UInt64?
        if let move {
            keyPath = move.keyPath
            let floor = try raiseGuard(staged, key: move.key, above: move.signedUpTo, chainID: header.chainID)
            guardHeight = floor
            // The guard is ahead of the restored database: start and sync the gap from peers.
            settings = NodeConfig.insert(settings, ["storage", "recoverFromPeers"][...], true)
        } else {
            let key = SigningKey()
            try KeyFile.plaintext(key, name: "node").write(to: staged.keysDirectory + "/node.json")
            keyPath = final.keysDirectory + "/node.json"
        }
        settings = NodeConfig.insert(settings, ["validator", "key"][...], keyPath)
        let data = try JSONSerialization.data(withJSONObject: settings, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try data.write(to: URL(fileURLWithPath: staged.settingsFile), options: .atomic)
        return Report(header: header, directory: final.path, nodeKeyPath: keyPath, guardHeight: guardHeight)
    }

    /// Writes the moved validator's sign state so that its guard refuses every position at or
    /// below height `above`: a signed fence proposal at (`above`, 2^32−1), never sent. Returns `above`.
    static func raiseGuard(_ staged: DataDirectory, key: SigningKey, above: UInt64, chainID: String) throws -> UInt64 {
        let directory = staged.consensusDirectory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let store = FileSignStateStore(path: ConsensusService.signStatePath(directory: directory, key: key.publicKey))
        var signing: SigningGuard
        do { signing = try SigningGuard(key: key, store: store) } catch {
            throw BackupError.moveValidator(reason: "cannot set the signing guard: \(error)")
        }
        let header = BlockHeader(chainID: chainID, height: above, previousHash: .zero, timestamp: 0, proposer: key.publicKey,
                                 txRoot: Block.txRoot([]), stateRoot: .zero, validatorSetHash: .zero, lastCommit: nil)
        let fence = Proposal(chainID: chainID, height: above, round: UInt32.max, polRound: Proposal.noPOLRound,
                                   block: Block(header: header, transactions: []))
        do { _ = try signing.sign(fence) } catch {
            throw BackupError.moveValidator(reason: "cannot set the signing guard: \(error)")
        }
        return above
    }
}
