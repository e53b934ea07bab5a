import AgoraCore
import AgoraCrypto
import Foundation
import Synchronization

/// A running node's agent key directory (`mcp.keysDir`, default `<data-dir>/keys`), re-read
/// whenever an MCP session names an agent the current keyring lacks or cannot open — so a key
/// written there while the node runs (`agora keys new --data-dir D --name alice`, or a key file
/// copied in with mode 0600) is served without a restart.
///
/// A re-read is bounded: at most `AgentKeyring.maxKeyFiles` files of at most
/// `KeyFile.maxFileBytes` each, and a file whose inode, size, mode and modification time are
/// unchanged since the last read is not opened again (an encrypted key costs an scrypt), so
/// sessions naming unknown agents cost one directory listing and a `stat` per file.
public final class AgentKeyDirectory: Sendable {
    public let path: String
    let password: String?
    let validatorKeys: Set<PublicKey>

    /// What a file looked like when it was opened, and what opening it gave.
    struct Entry: Sendable {
        let stamp: Stamp
        let outcome: Result<SigningKey, AgentKeyring.KeyProblem>
    }

    struct Stamp: Equatable, Sendable {
        let inode: UInt64
        let size: Int64
        let mode: UInt32
        let modifiedSeconds: Int
        let modifiedNanoseconds: Int

        init?(path: String) {
            var info = stat()
            guard stat(path, &info) == 0 else { return nil }
            inode = UInt64(info.st_ino)
            size = Int64(info.st_size)
            mode = UInt32(info.st_mode)
            modifiedSeconds = Int(info.st_mtim.tv_sec)
            modifiedNanoseconds = Int(info.st_mtim.tv_nsec)
        }
    }

    private let entries = Mutex<[String: Entry]>([:])

    /// `password` opens encrypted keys (the node's `AGORA_KEY_PASSWORD`); `validatorKeys` are
    /// never offered as agents.
    public init(path: String, password: String?, validatorKeys: Set<PublicKey>) {
        self.path = path
        self.password = password
        self.validatorKeys = validatorKeys
    }

    /// The directory as it is now. Safe to call from several tasks; files are opened outside
    /// the lock.
    public func scan() -> AgentKeyring {
        let (names, beyond) = AgentKeyring.names(in: path)
        let known = entries.withLock { $0 }
        var fresh: [String: Entry] = [:]
        var ring = AgentKeyring()
        for name in names {
            let file = path + "/" + name + ".json"
            let outcome: Result<SigningKey, AgentKeyring.KeyProblem>
            if let stamp = Stamp(path: file) {
                if let cached = known[name], cached.stamp == stamp {
                    outcome = cached.outcome
                } else {
                    outcome = AgentKeyring.open(file, password: password)
                }
                fresh[name] = Entry(stamp: stamp, outcome: outcome)
            } else {
                outcome = .failure(.unreadable(.notFound(file)))  // removed while listing
            }
            switch outcome {
            case let .success(key): ring.agents[name] = AgentKeyring.Agent(name: name, key: key)
            case let .failure(problem): ring.unavailable[name] = problem
            }
        }
        for name in beyond { ring.unavailable[name] = .beyondLimit(AgentKeyring.maxKeyFiles) }
        entries.withLock { $0 = fresh }
        return ring.excluding(validatorKeys)
    }
}
