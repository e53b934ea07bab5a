import AgoraAPIModels
import AgoraCore
import AgoraCrypto
import AgoraNode
import ArgumentParser
import Foundation

/// `agora backup` and `agora restore` (docs/operations.md, "Backup and restore"). Every refusal
/// is one `error:` line starting with the typed reason (`truncated_backup: …`) and exit code 2.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Back up a node's data directory into one file, while the node runs (consistent at one height, printed).",
        discussion: "Holds the database (SQLite online backup), genesis.json, agora.json and the artifact store; never consensus/ (signing state) or keys/.")

    @Option(help: "Data directory of the node to back up.") var dataDir: String
    @Option(help: "Backup file to write (must not exist).") var out: String

    func run() async throws {
        try await runCommand {
            let started = Date()
            let report: NodeBackup.Report
            do {
                report = try NodeBackup.create(dataDir: DataDirectory(dataDir), out: out, version: AgoraVersion.current,
                                               now: UInt64(Date().timeIntervalSince1970 * 1000))
            } catch let e as BackupError { throw CLIError(Exit.invalidInput, e.description) }
            let h = report.header
            print("backup of chain \(h.chainID) at height \(h.height) (head \(h.headHash))")
            print("wrote \(report.file): \(report.bytes) bytes, \(h.entries.count) entries, in \(String(format: "%.2f", Date().timeIntervalSince(started))) s")
        }
    }
}

struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a backup file into a new data directory (a follower, unless --move-validator).",
        discussion: """
            The file is verified whole (size, every entry's SHA-256, the trailing hash) while it is written into a temporary \
            directory that is renamed into place only at the end. The target must be absent or empty (it may hold a \
            genesis.json or agora.json of the same chain). Without --move-validator the restored node gets a new key and \
            follows the chain. With it, the validator's signing guard is raised so that it refuses every height the old \
            copy can have signed at: stop the old validator first, then pass --chain-head-from (a node of the chain: the \
            guard refuses up to its head + 3) or --signed-up-to (the old copy's last signed height, from its \
            consensus/sign-state-*.json).
            """)

    @Argument(help: "Backup file written by agora backup.") var file: String
    @Option(help: "Data directory to create.") var dataDir: String
    @Flag(help: "Move a validator here on purpose: run with --validator-key and a signing guard raised past the old copy.") var moveValidator = false
    @Option(help: "With --move-validator: the validator's key file (encrypted ones are unlocked with $AGORA_KEY_PASSWORD or a prompt).") var validatorKey: String?
    @Option(help: "With --move-validator: API URL of a node of the chain; its head + 3 bounds what the stopped old copy can have signed.") var chainHeadFrom: String?
    @Option(help: "With --move-validator: the highest height the old copy can have signed at (instead of --chain-head-from).") var signedUpTo: UInt64?

    /// Heights added to an observed head: the observed node may be a commit or two behind the
    /// chain, and the old copy can have signed at the true head + 1.
    static let headMargin: UInt64 = 3

    func run() async throws {
        try await runCommand {
            let move = try await moveOptions()
            let report: NodeRestore.Report
            do { report = try NodeRestore.restore(file: file, into: DataDirectory(dataDir), move: move) } catch let e as BackupError {
                throw CLIError(Exit.invalidInput, e.description)
            }
            let h = report.header
            print("restored chain \(h.chainID) at height \(h.height) into \(report.directory) (\(h.entries.count) entries verified)")
            if let floor = report.guardHeight, let move {
                print("moved validator \(move.key.address): its signing guard refuses every height up to and including \(floor);"
                      + " it signs again from height \(floor + 1), after syncing heights \(h.height + 1)… from its peers")
                print("set storage.recoverFromPeers=true in agora.json (the guard is ahead of the restored blocks); unset it once the node has caught up")
                print("never start the old copy of this validator again")
            } else {
                print("the restored node follows the chain with a new key \(report.nodeKeyPath) (no signing state was restored)")
            }
            print("start it with: \(runningExecutable) start --data-dir \(report.directory)")
        }
    }

    func moveOptions() async throws -> NodeRestore.MoveValidator? {
        guard moveValidator else {
            if validatorKey != nil || chainHeadFrom != nil || signedUpTo != nil {
                throw CLIError(Exit.invalidInput, "--validator-key, --chain-head-from and --signed-up-to go with --move-validator")
            }
            return nil
        }
        guard let validatorKey else { throw CLIError(Exit.invalidInput, "--move-validator needs --validator-key") }
        guard (chainHeadFrom == nil) != (signedUpTo == nil) else {
            throw CLIError(Exit.invalidInput, "--move-validator needs one of --chain-head-from URL or --signed-up-to HEIGHT")
        }
        let file = try KeyFile.read(from: validatorKey)
        let key = try file.unlock(password: file.isEncrypted ? try Password.obtain(prompt: "Validator key password: ") : nil)
        var upTo = signedUpTo ?? 0
        if let url = chainHeadFrom {
            let status = try await NodeClient(base: url).get("/api/v1/status", as: API.StatusView.self)
            let header: BackupHeader
            do { header = try NodeRestore.header(of: self.file) } catch let e as BackupError { throw CLIError(Exit.invalidInput, e.description) }
            guard status.chainID == header.chainID, status.genesisHash == header.genesisHash else {
                throw CLIError(Exit.invalidInput, BackupError.otherChain(file: self.file, backup: header.chainID, target: status.chainID,
                                                                         targetFile: url).description)
            }
            upTo = status.height + Self.headMargin
            print("observed head \(status.height) of chain \(status.chainID) at \(url)")
        }
        let path = URL(fileURLWithPath: validatorKey).standardizedFileURL.path
        return NodeRestore.MoveValidator(key: key, keyPath: path, signedUpTo: upTo)
    }
}
