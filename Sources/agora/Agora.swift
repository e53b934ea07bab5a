import AgoraCore
import ArgumentParser
import Foundation
import Logging

/// The `agora` command line. Every command that talks to a node takes `--node URL`
/// (default `$AGORA_NODE` or http://127.0.0.1:8645). Exit codes: `Exit` below, the one table
/// docs/operations.md and docs/cli.md print.
@main
struct Agora: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agora",
        abstract: "A node of Agora: a shared, signed, replicated ledger for people and AI agents.",
        discussion: Exit.table,
        version: AgoraVersion.current,
        subcommands: [Init.self, Start.self, Dev.self, Testnet.self, Keys.self, Tx.self, Status.self, Peers.self, Query.self, ConfigCommand.self, Admin.self, Bench.self, Simulate.self, ArtifactCommand.self, MCPCommand.self, SyncCommand.self, PresenceCommand.self, MarketCommand.self, VerifyCommand.self, BackupCommand.self, RestoreCommand.self, DocsCommand.self])

    /// Parses and runs a command, mapping the argument parser's usage errors (unknown option,
    /// missing argument, bad value, unknown subcommand: its own code 64) to `Exit.invalidInput`,
    /// so a script sees one table whatever layer refused the input.
    static func main() async {
        do {
            try CommandTree.checkSubcommands(Array(CommandLine.arguments.dropFirst()), root: Agora.self)
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            Foundation.exit(Exit.invalidInput.rawValue)
        }
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(Exit.invalidInput.rawValue)
            }
            exit(withError: error)
        }
    }
}

/// Exit codes a script can rely on: the one table, used by every command.
enum Exit: Int32, CaseIterable, Sendable {
    case success = 0
    /// The node refused the request, or the transaction was committed but failed.
    case failed = 1
    /// Invalid arguments (including the argument parser's usage errors), key file, genesis,
    /// settings or data directory.
    case invalidInput = 2
    /// The node could not be reached.
    case unreachable = 3
    /// `--wait` gave up before the outcome was known.
    case timedOut = 4
    /// The light client refused the node's answer (`agora verify`, `--verify`): the error line
    /// starts with the typed reason (`bad_proof`, `insufficient_signatures`, …).
    case unverified = 5
    /// `agora start`/`dev`: the node stopped before a block that runs a software upgrade this
    /// binary does not know (docs/governance.md); restart it with a binary that knows it.
    case upgradeRequired = 6

    var meaning: String {
        switch self {
        case .success: return "success"
        case .failed: return "the node refused the request, or the transaction was committed but failed"
        case .invalidInput: return "invalid arguments, key file, genesis, settings or data directory"
        case .unreachable: return "the node could not be reached"
        case .timedOut: return "`--wait` timed out"
        case .unverified: return "the light client refused the answer (the reason: bad_proof, insufficient_signatures, …)"
        case .upgradeRequired: return "the node stopped at a software upgrade its binary does not know"
        }
    }

    /// The table as `agora --help` prints it.
    static var table: String {
        "Exit codes:\n" + allCases.map { "  \($0.rawValue)  \($0.meaning)" }.joined(separator: "\n")
    }
}

/// A command's failure: the exit code it maps to and the one line printed after `error:`.
struct CLIError: Error, CustomStringConvertible {
    let code: Exit
    let message: String
    init(_ code: Exit, _ message: String) { self.code = code; self.message = message }
    var description: String { message }
}

/// Runs a command body, printing any error as one `error:` line and exiting with its code.
func runCommand(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let e as CLIError {
        FileHandle.standardError.write(Data("error: \(e.message)\n".utf8))
        throw ExitCode(e.code.rawValue)
    } catch let e as ExitCode {
        throw e
    } catch {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        throw ExitCode(Exit.invalidInput.rawValue)
    }
}

struct NodeOption: ParsableArguments {
    @Option(name: .long, help: "Node API URL (default $AGORA_NODE or http://127.0.0.1:8645).")
    var node: String?

    var url: String {
        node ?? ProcessInfo.processInfo.environment["AGORA_NODE"] ?? "http://127.0.0.1:8645"
    }

    var client: NodeClient { NodeClient(base: url) }

    /// A URL without an http(s) scheme and a host is the caller's mistake (exit 2), not an
    /// unreachable node (exit 3): `localhost:8645` would otherwise parse as scheme "localhost".
    func validate() throws {
        if let problem = NodeOption.problem(with: url) {
            throw ValidationError("\(node != nil ? "--node" : "$AGORA_NODE") \(url) is not a node URL: \(problem)")
        }
    }

    static func problem(with url: String) -> String? {
        let parsed = URLComponents(string: url)
        guard let scheme = parsed?.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            return "it needs an http:// or https:// scheme, e.g. http://\(url)"
        }
        guard let host = parsed?.host, !host.isEmpty else { return "it names no host" }
        return nil
    }
}

func printJSON<T: Encodable>(_ value: T) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    if let data = try? encoder.encode(value) {
        print(String(decoding: data, as: UTF8.self))
    }
}

func makeLogger(level: String) throws -> Logger {
    guard let parsed = Logger.Level(rawValue: level) else {
        throw CLIError(Exit.invalidInput, "invalid --log-level \(level): use trace, debug, info, notice, warning, error or critical")
    }
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = parsed
        return handler
    }
    var logger = Logger(label: "agora")
    logger.logLevel = parsed
    return logger
}

/// This executable's absolute path, shell-quoted when it needs to be: what printed hints
/// ("try: …") call, so they run as printed whether `agora` is on PATH or was started by
/// `swift run`.
var runningExecutable: String {
    let path = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        ?? URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
    let plain = path.allSatisfy { $0.isLetter || $0.isNumber || "/._-+".contains($0) }
    return plain ? path : "'" + path.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

/// A block time (ms since the Unix epoch) as ISO-8601 UTC, e.g. 2026-12-04T16:30:00.250Z: what a
/// person reading a deadline can compare with a clock.
func isoTime(ms: UInt64) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    formatter.timeZone = TimeZone(identifier: "UTC")
    return formatter.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
}

/// Unbuffered write to stdout, for lines another process waits for (the bound API address).
func writeOut(_ text: String) {
    FileHandle.standardOutput.write(Data(text.utf8))
}
