import ArgumentParser
import Foundation
import Logging

/// The `agora` command line. Every command that talks to a node takes `--node URL`
/// (default `$AGORA_NODE` or http://127.0.0.1:8645). Exit codes are listed in docs/cli.md.
@main
struct Agora: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agora",
        abstract: "A node of Agora: a shared, signed, replicated ledger for people and AI agents.",
        version: "0.1.0",
        subcommands: [Init.self, Start.self, Dev.self, Testnet.self, Keys.self, Tx.self, Status.self, Peers.self, Query.self, ConfigCommand.self, Admin.self, Bench.self, Simulate.self, ArtifactCommand.self, MCPCommand.self, SyncCommand.self, PresenceCommand.self, MarketCommand.self])
}

/// Exit codes a script can rely on.
enum Exit {
    static let failed: Int32 = 1        // the node refused, or the transaction failed on chain
    static let invalidInput: Int32 = 2  // bad arguments, key file, genesis or data directory
    static let unreachable: Int32 = 3   // no answer from the node
    static let timedOut: Int32 = 4      // --wait gave up before the transaction committed
}

struct CLIError: Error, CustomStringConvertible {
    let code: Int32
    let message: String
    init(_ code: Int32, _ message: String) { self.code = code; self.message = message }
    var description: String { message }
}

/// Runs a command body, printing any error as one `error:` line and exiting with its code.
func runCommand(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let e as CLIError {
        FileHandle.standardError.write(Data("error: \(e.message)\n".utf8))
        throw ExitCode(e.code)
    } catch let e as ExitCode {
        throw e
    } catch {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        throw ExitCode(Exit.invalidInput)
    }
}

struct NodeOption: ParsableArguments {
    @Option(name: .long, help: "Node API URL (default $AGORA_NODE or http://127.0.0.1:8645).")
    var node: String?

    var url: String {
        node ?? ProcessInfo.processInfo.environment["AGORA_NODE"] ?? "http://127.0.0.1:8645"
    }

    var client: NodeClient { NodeClient(base: url) }
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

/// Unbuffered write to stdout, for lines another process waits for (the bound API address).
func writeOut(_ text: String) {
    FileHandle.standardOutput.write(Data(text.utf8))
}
