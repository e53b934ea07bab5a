import ArgumentParser
import Foundation

/// The command tree as data: the unknown-subcommand check that runs before parsing, and the
/// CLI reference (docs/cli.md) rendered from each command's own help, so the document cannot
/// say something the parser does not.
enum CommandTree {
    /// A word given where a command group expects one of its subcommands, and the valid ones.
    struct UnknownSubcommand: Error, Equatable, CustomStringConvertible {
        let path: String
        let given: String
        let valid: [String]

        var description: String { "unknown subcommand '\(given)' of '\(path)'; valid: \(valid.joined(separator: ", "))" }
    }

    /// The names a command answers to (its name, then its aliases).
    static func names(of command: ParsableCommand.Type) -> [String] {
        [command._commandName] + command.configuration.aliases
    }

    static func visibleSubcommands(of command: ParsableCommand.Type) -> [ParsableCommand.Type] {
        command.configuration.subcommands.filter { $0.configuration.shouldDisplay }
    }

    /// Follows the leading words of `arguments` down the tree. At a group (a command with
    /// subcommands and no default one), the first word that is not an option must name a
    /// subcommand: otherwise the parser would report the group's first unknown *option*
    /// (`agora tx transfr --key bob` → "Unknown option '--key'") instead of the typo.
    static func checkSubcommands(_ arguments: [String], root: ParsableCommand.Type) throws {
        var command: ParsableCommand.Type = root
        var path = root._commandName
        for word in arguments {
            if word.hasPrefix("-") || word == "help" { return }
            let configuration = command.configuration
            if configuration.subcommands.isEmpty { return }
            if let _ = configuration.defaultSubcommand { return }
            var next: ParsableCommand.Type?
            for candidate in configuration.subcommands where names(of: candidate).contains(word) {
                next = candidate
                break
            }
            guard let found = next else {
                throw UnknownSubcommand(path: path, given: word, valid: visibleSubcommands(of: command).map { $0._commandName })
            }
            command = found
            path += " " + found._commandName
        }
    }

    /// Every visible command, depth first, with its full name (`agora tx transfer`).
    static func walk(_ command: ParsableCommand.Type, prefix: String = "") -> [(String, ParsableCommand.Type)] {
        let name = prefix.isEmpty ? command._commandName : prefix + " " + command._commandName
        return [(name, command)] + visibleSubcommands(of: command).flatMap { walk($0, prefix: name) }
    }

    /// docs/cli.md: a contents list, then each command's `--help` text as the parser prints it
    /// (at a fixed width, so the output does not depend on the terminal).
    static func markdown(root: ParsableCommand.Type) -> String {
        let commands = walk(root)
        var text = """
            # agora command line reference

            Generated from the argument parser by `agora docs cli > docs/cli.md` (a hidden command); a test
            regenerates it and fails when this file is stale. Every command that talks to a node takes
            `--node URL` (default `$AGORA_NODE` or `http://127.0.0.1:8645`); exit codes are listed under
            `agora` below and in docs/operations.md. Key files: docs/key-files.md.

            ## Commands


            """
        for (name, command) in commands {
            text += "- [`\(name)`](#\(anchor(name))): \(command.configuration.abstract)\n"
        }
        for (name, command) in commands {
            let help = root.helpMessage(for: command, columns: 100)
                .split(separator: "\n", omittingEmptySubsequences: false)
                .map { $0.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) }
                .joined(separator: "\n")
                .trimmingCharacters(in: .newlines)
            text += "\n## \(name)\n\n```text\n\(help)\n```\n"
        }
        return text
    }

    /// GitHub's heading anchor for a command name: lowercase, spaces as hyphens.
    static func anchor(_ name: String) -> String {
        name.lowercased().replacingOccurrences(of: " ", with: "-")
    }
}

/// `agora docs cli`: prints docs/cli.md. Hidden: it is for maintainers regenerating the file.
struct DocsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "docs", abstract: "Generate reference documents.",
                                                    shouldDisplay: false, subcommands: [CLIReference.self])

    struct CLIReference: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "cli", abstract: "Print the CLI reference (docs/cli.md) as markdown.")

        func run() throws {
            print(CommandTree.markdown(root: Agora.self), terminator: "")
        }
    }
}
