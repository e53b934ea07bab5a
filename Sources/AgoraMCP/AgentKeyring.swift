import AgoraCore
import AgoraCrypto
import Foundation

/// The identities agents may act as: every key file in one directory, unlocked once at start.
/// An MCP session picks one by name; what it signs carries that key, so several agents sharing
/// one node each appear on the ledger as themselves. Encrypted files are opened with the
/// password given at start (`AGORA_KEY_PASSWORD`); files that cannot be opened are listed with
/// the reason instead of failing the whole directory, so one bad file does not take every
/// agent offline, and choosing one of them names what was wrong.
public struct AgentKeyring: Sendable {
    public struct Agent: Sendable {
        public let name: String
        public let key: SigningKey
    }

    public private(set) var agents: [String: Agent]
    /// Files that were found but not opened, by agent name, with the reason.
    public private(set) var unavailable: [String: String]

    public init(agents: [Agent] = [], unavailable: [String: String] = [:]) {
        self.agents = Dictionary(agents.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        self.unavailable = unavailable
    }

    /// Agent names are key file names without `.json`: letters, digits, `-`, `_`, `.`, at most 64.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64 && !name.hasPrefix(".")
            && name.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || "-_.".unicodeScalars.contains($0) }
    }

    /// Reads every `NAME.json` in `directory`. A missing directory is an empty keyring.
    public static func load(directory: String, password: String?) -> AgentKeyring {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return AgentKeyring() }
        var agents: [Agent] = []
        var unavailable: [String: String] = [:]
        for file in names.sorted() where file.hasSuffix(".json") {
            let name = String(file.dropLast(5))
            guard isValidName(name) else { continue }
            do {
                let key = try KeyFile.read(from: directory + "/" + file).unlock(password: password)
                agents.append(Agent(name: name, key: key))
            } catch {
                unavailable[name] = error == .passwordRequired
                    ? "the key file is encrypted and no password was given at start (set AGORA_KEY_PASSWORD)" : error.description
            }
        }
        return AgentKeyring(agents: agents, unavailable: unavailable)
    }

    /// The keyring without these keys: a node never lends its validator keys to agents (a
    /// session signing with one could spend the validator's balance or race its nonces).
    public func excluding(_ keys: Set<PublicKey>) -> AgentKeyring {
        var copy = self
        for (name, agent) in agents where keys.contains(agent.key.publicKey) {
            copy.agents[name] = nil
            copy.unavailable[name] = "it is one of this node's validator keys, which agents may not use"
        }
        return copy
    }

    public enum Selection: Error, Equatable, Sendable, CustomStringConvertible {
        case invalidName(String)
        case unknown(name: String, available: [String])
        case unavailable(name: String, reason: String)

        public var description: String {
            switch self {
            case let .invalidName(n): return "agent name \"\(n.prefix(80))\" must be 1-64 letters, digits, - _ ."
            case let .unknown(n, a):
                return "no key named \"\(n)\" in the key directory" + (a.isEmpty ? " (it holds none)" : "; available: \(a.joined(separator: ", "))")
            case let .unavailable(n, r): return "key \"\(n)\" cannot be used: \(r)"
            }
        }
    }

    public func agent(named name: String) throws(Selection) -> Agent {
        guard AgentKeyring.isValidName(name) else { throw .invalidName(name) }
        if let a = agents[name] { return a }
        if let why = unavailable[name] { throw .unavailable(name: name, reason: why) }
        throw .unknown(name: name, available: agents.keys.sorted())
    }
}
