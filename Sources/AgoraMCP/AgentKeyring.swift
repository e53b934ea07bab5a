import AgoraCore
import AgoraCrypto
import Foundation

/// The identities agents may act as: the key files of one directory. An MCP session picks one
/// by name; what it signs carries that key, so several agents sharing one node each appear on
/// the ledger as themselves. Encrypted files are opened with the node's password
/// (`AGORA_KEY_PASSWORD`); files that cannot be opened are listed with a typed reason instead of
/// failing the whole directory, so one bad file does not take every agent offline, and choosing
/// one of them names what was wrong. A running node re-reads the directory when a session names
/// an agent it lacks (`AgentKeyDirectory`).
public struct AgentKeyring: Sendable {
    public struct Agent: Sendable {
        public let name: String
        public let key: SigningKey
    }

    /// Why a key file in the directory is not offered as an agent.
    public enum KeyProblem: Error, Equatable, Sendable, CustomStringConvertible {
        /// Encrypted, and the process reading it has no password.
        case encryptedWithoutPassword
        /// Missing, too large, malformed, loosely permitted, or the password does not open it.
        case unreadable(KeyFileError)
        /// One of the node's validator keys (never lent to agents).
        case validatorKey
        /// Past the first `limit` key files (by name) of the directory, which are all that are read.
        case beyondLimit(Int)

        public var description: String {
            switch self {
            case .encryptedWithoutPassword:
                return "the key file is encrypted and this node has no password for it: start the node with AGORA_KEY_PASSWORD "
                    + "set to the key's password, or give the agent an unencrypted key (agora keys new --data-dir DIR --name NAME)"
            case let .unreadable(e): return e.description
            case .validatorKey: return "it is one of this node's validator keys, which agents may not use"
            case let .beyondLimit(n): return "the key directory holds more than \(n) key files; only the first \(n) by name are read"
            }
        }
    }

    /// Key files read from one directory at most (each is at most `KeyFile.maxFileBytes`).
    public static let maxKeyFiles = 1_000

    public internal(set) var agents: [String: Agent]
    /// Files that were found but not opened, by agent name, with the reason.
    public internal(set) var unavailable: [String: KeyProblem]

    public init(agents: [Agent] = [], unavailable: [String: KeyProblem] = [:]) {
        self.agents = Dictionary(agents.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        self.unavailable = unavailable
    }

    /// Agent names are key file names without `.json`: letters, digits, `-`, `_`, `.`, at most 64.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64 && !name.hasPrefix(".")
            && name.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || "-_.".unicodeScalars.contains($0) }
    }

    /// The agent names of `directory`'s key files, sorted: the first `maxKeyFiles` and the rest.
    /// A missing directory has none.
    static func names(in directory: String) -> (read: [String], beyond: [String]) {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let names = files.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.filter(isValidName).sorted()
        return (Array(names.prefix(maxKeyFiles)), Array(names.dropFirst(maxKeyFiles)))
    }

    /// Opens one key file as an agent key.
    static func open(_ path: String, password: String?) -> Result<SigningKey, KeyProblem> {
        do {
            return .success(try KeyFile.read(from: path).unlock(password: password))
        } catch {
            return .failure(error == .passwordRequired ? .encryptedWithoutPassword : .unreadable(error))
        }
    }

    /// Reads every `NAME.json` in `directory` (at most `maxKeyFiles`). A missing directory is an
    /// empty keyring.
    public static func load(directory: String, password: String?) -> AgentKeyring {
        let (names, beyond) = self.names(in: directory)
        var ring = AgentKeyring()
        for name in names {
            switch open(directory + "/" + name + ".json", password: password) {
            case let .success(key): ring.agents[name] = Agent(name: name, key: key)
            case let .failure(problem): ring.unavailable[name] = problem
            }
        }
        for name in beyond { ring.unavailable[name] = .beyondLimit(maxKeyFiles) }
        return ring
    }

    /// The keyring without these keys: a node never lends its validator keys to agents (a
    /// session signing with one could spend the validator's balance or race its nonces).
    public func excluding(_ keys: Set<PublicKey>) -> AgentKeyring {
        var copy = self
        for (name, agent) in agents where keys.contains(agent.key.publicKey) {
            copy.agents[name] = nil
            copy.unavailable[name] = .validatorKey
        }
        return copy
    }

    public enum Selection: Error, Equatable, Sendable, CustomStringConvertible {
        case invalidName(String)
        case unknown(name: String, available: [String])
        case unavailable(name: String, problem: KeyProblem)

        public var description: String {
            switch self {
            case let .invalidName(n): return "agent name \"\(n.prefix(80))\" must be 1-64 letters, digits, - _ ."
            case let .unknown(n, a):
                return "no key named \"\(n)\" in the key directory" + (a.isEmpty ? " (it holds none)" : "; available: \(a.joined(separator: ", "))")
            case let .unavailable(n, p): return "key \"\(n)\" cannot be used: \(p)"
            }
        }
    }

    public func agent(named name: String) throws(Selection) -> Agent {
        guard AgentKeyring.isValidName(name) else { throw .invalidName(name) }
        if let a = agents[name] { return a }
        if let problem = unavailable[name] { throw .unavailable(name: name, problem: problem) }
        throw .unknown(name: name, available: agents.keys.sorted())
    }
}
