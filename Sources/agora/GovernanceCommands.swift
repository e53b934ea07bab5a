import AgoraAPIModels
import AgoraCore
import ArgumentParser
import Foundation

/// `agora tx gov …` and `agora query gov …`: governance from the command line
/// (docs/governance.md). `propose` builds one proposal kind from its flags (none: a text
/// proposal) and checks its shape here; the bounds that depend on the chain are the chain's to
/// check, and a refusal comes back as the receipt's typed failure.
extension Tx {
    struct GovTx: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "gov", abstract: "Governance: submit proposals, deposit on them, vote (bonded validators).",
            subcommands: [Propose.self, Deposit.self, Vote.self])

        struct Propose: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Submit a proposal with its first deposit. Without a kind flag it is a text (signal) proposal.")
            @OptionGroup var options: TxOptions
            @Option(help: "One line, 1-\(GovernanceLimits.maxTitleBytes) bytes.") var title: String
            @Option(help: "Longer text, up to \(GovernanceLimits.maxSummaryBytes) bytes.") var summary: String = ""
            @Option(help: "First deposit in base units (escrowed; refunded unless vetoed or expired).") var deposit: UInt64
            @Option(name: .customLong("param"), help: "Parameter change KEY=VALUE (repeatable; keys: `agora query gov params`).")
            var params: [String] = []
            @Option(name: .customLong("validator"), help: "Validator change PUBLICKEY=POWER (repeatable; power 0 removes).")
            var validators: [String] = []
            @Option(help: "Treasury spend: recipient address.") var spendTo: String?
            @Option(help: "Treasury spend: amount in base units.") var spendAmount: UInt64?
            @Option(help: "Software upgrade: the upgrade's name.") var upgradeName: String?
            @Option(help: "Software upgrade: the height it takes effect at.") var upgradeHeight: UInt64?
            @Option(help: "Software upgrade: free text (release notes, where to get the binary).") var upgradeInfo: String = ""
            @Option(help: "Cancel the planned upgrade with this name.") var cancelUpgrade: String?

            func run() async throws {
                try await runCommand {
                    let content = ProposalContent(title: title, summary: summary, action: try action())
                    // The decoder is the one shape check: what it refuses, the chain would too.
                    do { _ = try ProposalContent(canonicalBytes: content.canonicalBytes) } catch {
                        throw CLIError(Exit.invalidInput, "proposal: \(error)")
                    }
                    try await submit(.submitProposal(content: content, deposit: try governanceAmount(deposit, "--deposit")), options: options)
                }
            }

            func action() throws -> ProposalAction {
                let kinds = [!params.isEmpty, !validators.isEmpty, spendTo != nil || spendAmount != nil,
                             upgradeName != nil || upgradeHeight != nil, cancelUpgrade != nil].filter { $0 }.count
                guard kinds <= 1 else { throw CLIError(Exit.invalidInput, "a proposal has one kind: give flags of one kind only") }
                if !params.isEmpty { return .parameterChange(try params.map(parseParam).sorted { $0.key.rawValue < $1.key.rawValue }) }
                if !validators.isEmpty { return .validatorChange(try validators.map(parseValidator).sorted { $0.publicKey < $1.publicKey }) }
                if spendTo != nil || spendAmount != nil {
                    guard let to = spendTo, let amount = spendAmount else { throw CLIError(Exit.invalidInput, "--spend-to needs --spend-amount") }
                    let address: Address
                    do { address = try Address.parse(to) } catch { throw CLIError(Exit.invalidInput, "--spend-to \(to): \(error)") }
                    return .treasurySpend(to: address, amount: try governanceAmount(amount, "--spend-amount"))
                }
                if upgradeName != nil || upgradeHeight != nil {
                    guard let name = upgradeName, let height = upgradeHeight else {
                        throw CLIError(Exit.invalidInput, "--upgrade-name needs --upgrade-height")
                    }
                    return .softwareUpgrade(UpgradePlan(name: name, height: height, info: upgradeInfo))
                }
                if let name = cancelUpgrade { return .cancelUpgrade(name: name) }
                return .text
            }

            func parseParam(_ text: String) throws -> ParamChange {
                let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, let key = ParamKey(name: parts[0]) else {
                    throw CLIError(Exit.invalidInput, "--param \(text): expected KEY=VALUE with KEY one of \(ParamKey.allCases.map(\.name).joined(separator: ", "))")
                }
                guard let value = UInt64(parts[1]) else { throw CLIError(Exit.invalidInput, "--param \(text): the value is not an integer") }
                return ParamChange(key: key, value: value)
            }

            func parseValidator(_ text: String) throws -> Validator {
                let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, let key = PublicKey(hex: parts[0]), let power = UInt64(parts[1]) else {
                    throw CLIError(Exit.invalidInput, "--validator \(text): expected PUBLICKEY=POWER (64 hex digits, an integer)")
                }
                return Validator(publicKey: key, power: power)
            }
        }

        struct Deposit: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Add to a proposal's deposit during its deposit period.")
            @OptionGroup var options: TxOptions
            @Option(help: "Proposal ID.") var proposal: UInt64
            @Option(help: "Amount in base units.") var amount: UInt64

            func run() async throws {
                try await runCommand {
                    try await submit(.depositProposal(proposal: proposal, amount: try governanceAmount(amount, "--amount")), options: options)
                }
            }
        }

        struct Vote: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Cast or change the sender validator's vote during the voting period (weight: its bond).")
            @OptionGroup var options: TxOptions
            @Option(help: "Proposal ID.") var proposal: UInt64
            @Option(help: "yes, no, abstain or no_with_veto.") var option: String

            func run() async throws {
                try await runCommand {
                    guard let o = VoteOption(name: option) else {
                        throw CLIError(Exit.invalidInput, "--option \(option): one of yes, no, abstain, no_with_veto")
                    }
                    try await submit(.voteProposal(proposal: proposal, option: o), options: options)
                }
            }
        }
    }
}

private func governanceAmount(_ amount: UInt64, _ flag: String) throws -> Amount {
    guard let value = Amount(amount), value > .zero else { throw CLIError(Exit.invalidInput, "\(flag) must be 1…2^63-1") }
    return value
}

extension Query {
    struct GovQuery: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "gov", abstract: "Governance: proposals, one proposal with its votes, parameters and planned upgrades.",
            subcommands: [Proposals.self, Proposal.self, Params.self])

        struct Proposals: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Proposals, newest first.")
            @OptionGroup var node: NodeOption
            @Option(help: "The nextCursor of the previous page.") var cursor: String?
            @Option(help: "At most this many (1-500).") var limit: Int = 20

            func run() async throws {
                try await runCommand {
                    guard (1...500).contains(limit) else { throw CLIError(Exit.invalidInput, "--limit must be 1…500") }
                    var path = "/api/v1/gov/proposals?limit=\(limit)"
                    if let cursor {
                        guard UInt64(cursor) != nil else { throw CLIError(Exit.invalidInput, "--cursor \(cursor) is not one the node returned") }
                        path += "&cursor=\(cursor)"
                    }
                    printJSON(try await node.client.get(path, as: API.ListView<API.ProposalView>.self))
                }
            }
        }

        struct Proposal: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "One proposal: content, deposits, votes, tally and outcome.")
            @OptionGroup var node: NodeOption
            @Argument(help: "Proposal ID.") var id: UInt64

            func run() async throws {
                try await runCommand { printJSON(try await node.client.get("/api/v1/gov/proposals/\(id)", as: API.ProposalView.self)) }
            }
        }

        struct Params: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Governance parameters, the keys a proposal may change, planned upgrades and the upgrades this node knows.")
            @OptionGroup var node: NodeOption

            func run() async throws {
                try await runCommand { printJSON(try await node.client.get("/api/v1/gov/params", as: API.GovParamsView.self)) }
            }
        }
    }
}
