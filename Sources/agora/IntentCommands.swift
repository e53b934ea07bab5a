import AgoraAPI
import AgoraAPIModels
import AgoraCore
import AgoraState
import ArgumentParser
import Foundation

/// `agora tx intent post|withdraw|register-mediator|propose|accept|challenge|resolve` and
/// `agora query intents|intent|settlements|settlement|mediator`: the intents module from the
/// command line. Arguments are checked against the codec's limits before signing (oversized or
/// empty text, terms that do not parse: exit 2 with the offending part named), and `post` and
/// `propose` print the ID the ledger will give the new intent or settlement.
extension Tx {
    struct IntentTx: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "intent", abstract: "Post and withdraw intents; register as a mediator; propose, accept, challenge and resolve settlements.",
            subcommands: [Post.self, Withdraw.self, RegisterMediator.self, Propose.self, Accept.self, Challenge.self, Resolve.self])

        struct Post: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Post an offer or a request in a group (members). Prints the intent ID.")
            @OptionGroup var options: TxOptions
            @Option(help: "Group ID (64 hex digits).") var group: String
            @Option(help: "offer or request.") var kind: String
            @Option(help: "What you want or offer, in plain language (1 B-2 KiB), or @path of a file.") var text: String
            @Option(help: "Structured terms: \"asset=gpu-hours amount=10..20 price=500..800 deadline=900\" (all optional).") var terms: String = ""
            @Option(help: "Bond held while the intent is open.") var bond: UInt64 = 0

            func run() async throws {
                try await runCommand {
                    let content = try intentContent(group: group, kind: kind, text: text, terms: terms, bond: bond)
                    let tx = try await submit(.postIntent(content), options: options)
                    print("intent \(LedgerID.intent(author: tx.sender, nonce: tx.body.nonce).hex)")
                }
            }
        }

        struct Withdraw: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Withdraw your open intent and get its bond back.")
            @OptionGroup var options: TxOptions
            @Argument(help: "Intent ID.") var intent: String
            func run() async throws { try await runCommand { try await submit(.withdrawIntent(intent: try hashID(intent, "intent")), options: options) } }
        }

        struct RegisterMediator: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "register-mediator",
                                                            abstract: "Stake to register as a mediator (or add stake and set the fee rate).")
            @OptionGroup var options: TxOptions
            @Option(help: "Stake to add (the total must reach the minimum, 100).") var stake: UInt64
            @Option(help: "Most the mediator charges, in basis points of a settlement's payments.") var feeBps: UInt16 = 100
            func run() async throws {
                try await runCommand {
                    guard feeBps <= 10_000 else { throw CLIError(Exit.invalidInput, "--fee-bps is above 10000") }
                    try await submit(.registerMediator(stake: try amount(stake, "--stake"), feeBps: feeBps), options: options)
                }
            }
        }

        struct Propose: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Propose a settlement of two or more intents (registered mediators). Prints its ID.")
            @OptionGroup var options: TxOptions
            @Option(help: "An intent ID (repeat, at least two).") var intent: [String]
            @Option(help: "The terms in words.") var termsText: String
            @Option(help: "Agreed structured terms (same form as intent terms).") var terms: String = ""
            @Option(help: "A payment FROM_ADDRESS:TO_ADDRESS:AMOUNT made at finalisation (repeat).") var payment: [String] = []
            // Not `--fee`: TxOptions already names the transaction fee so, and two options of one
            // name make the parser refuse the command.
            @Option(name: .customLong("mediator-fee"), help: "The mediator's fee, paid at finalisation.") var mediatorFee: UInt64 = 0
            @Option(help: "Last height at which parties may accept.") var acceptBy: UInt64
            @Option(help: "Heights between the last acceptance and payout.") var challengeWindow: UInt64 = 10
            func run() async throws {
                try await runCommand {
                    let ids = try Set(intent.map { try hashID($0, "intent") }).sorted()
                    guard ids.count >= 2, ids.count <= Limits.maxSettlementIntents else {
                        throw CLIError(Exit.invalidInput, "name 2-\(Limits.maxSettlementIntents) distinct --intent")
                    }
                    guard !termsText.isEmpty, termsText.utf8.count <= Limits.maxSettlementTermsBytes else {
                        throw CLIError(Exit.invalidInput, "--terms-text must be 1-\(Limits.maxSettlementTermsBytes) bytes")
                    }
                    guard (Limits.minChallengeWindow...Limits.maxChallengeWindow).contains(challengeWindow) else {
                        throw CLIError(Exit.invalidInput, "--challenge-window must be \(Limits.minChallengeWindow)-\(Limits.maxChallengeWindow)")
                    }
                    let payments = try payment.map { p -> SettlementPayment in
                        let parts = p.split(separator: ":").map(String.init)
                        guard parts.count == 3, let v = UInt64(parts[2]), v > 0, let a = Amount(v) else {
                            throw CLIError(Exit.invalidInput, "--payment \(p) is not FROM:TO:AMOUNT with two different ag1 addresses and a positive amount")
                        }
                        let (from, to) = try (addressArgument(parts[0], "--payment FROM"), addressArgument(parts[1], "--payment TO"))
                        guard from != to else { throw CLIError(Exit.invalidInput, "--payment \(p): FROM and TO are the same address") }
                        return SettlementPayment(from: from, to: to, amount: a)
                    }
                    let proposal = SettlementProposal(intents: ids, termsText: termsText, terms: try parseTerms(terms), payments: payments,
                                                      mediatorFee: try amount(mediatorFee, "--mediator-fee"), acceptBy: acceptBy, challengeWindow: challengeWindow,
                                                      score: MatchScore(source: 0, kind: 0, terms: 0, text: 0, total: 0))
                    let tx = try await submit(.proposeSettlement(proposal), options: options)
                    print("settlement \(LedgerID.settlement(mediator: tx.sender, nonce: tx.body.nonce).hex)")
                }
            }
        }

        struct Accept: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Accept a settlement you are a party of; escrows what you owe under it.")
            @OptionGroup var options: TxOptions
            @Argument(help: "Settlement ID.") var settlement: String
            func run() async throws {
                try await runCommand { try await submit(.acceptSettlement(settlement: try hashID(settlement, "settlement")), options: options) }
            }
        }

        struct Challenge: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Challenge an accepted settlement in its window (parties and other mediators).")
            @OptionGroup var options: TxOptions
            @Argument(help: "Settlement ID.") var settlement: String
            @Option(help: "Why (1 B-1 KiB).") var reason: String
            @Option(help: "Bond (at least 10); forfeited to the mediator if the challenge is rejected.") var bond: UInt64 = 10
            func run() async throws {
                try await runCommand {
                    guard !reason.isEmpty, reason.utf8.count <= Limits.maxChallengeReasonBytes else {
                        throw CLIError(Exit.invalidInput, "--reason must be 1-\(Limits.maxChallengeReasonBytes) bytes")
                    }
                    try await submit(.challengeSettlement(settlement: try hashID(settlement, "settlement"), reason: reason,
                                                          bond: try amount(bond, "--bond")), options: options)
                }
            }
        }

        struct Resolve: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Resolve a challenge (admins of the settlement's group).")
            @OptionGroup var options: TxOptions
            @Argument(help: "Settlement ID.") var settlement: String
            @Option(help: "upheld (refund the parties, slash the mediator) or rejected (forfeit the bond, pay out).") var outcome: String
            func run() async throws {
                try await runCommand {
                    guard outcome == "upheld" || outcome == "rejected" else { throw CLIError(Exit.invalidInput, "--outcome must be upheld or rejected") }
                    try await submit(.resolveChallenge(settlement: try hashID(settlement, "settlement"), upheld: outcome == "upheld"), options: options)
                }
            }
        }
    }
}

/// Checks an intent's parts against the codec's limits before anything is signed.
func intentContent(group: String, kind: String, text: String, terms: String, bond: UInt64) throws -> IntentContent {
    guard let k = IntentKind(name: kind) else { throw CLIError(Exit.invalidInput, "--kind must be offer or request") }
    var body = text
    if body.hasPrefix("@") {
        guard let data = FileManager.default.contents(atPath: String(body.dropFirst())) else {
            throw CLIError(Exit.invalidInput, "cannot read \(body.dropFirst())")
        }
        body = String(decoding: data, as: UTF8.self)
    }
    guard !body.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, body.utf8.count <= Limits.maxIntentTextBytes else {
        throw CLIError(Exit.invalidInput, "--text must be 1-\(Limits.maxIntentTextBytes) bytes and not blank (got \(body.utf8.count))")
    }
    return IntentContent(group: try hashID(group, "group"), kind: k, text: body, terms: try parseTerms(terms), bond: try amount(bond, "--bond"))
}

private func parseTerms(_ text: String) throws -> IntentTerms {
    do { return try IntentTerms.parse(text) } catch { throw CLIError(Exit.invalidInput, "--terms: \(error)") }
}

private func hashID(_ text: String, _ what: String) throws -> Hash {
    guard let id = Hash(hex: text) else { throw CLIError(Exit.invalidInput, "\(what) ID \(text) is not 64 hex digits") }
    return id
}

private func amount(_ v: UInt64, _ flag: String) throws -> Amount {
    guard let a = Amount(v) else { throw CLIError(Exit.invalidInput, "\(flag) is above 2^63-1") }
    return a
}

extension Query {
    struct IntentsQuery: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "intents", abstract: "Intents in chain order, by group, author and status.")
        @OptionGroup var node: NodeOption
        @Option(help: "Group ID.") var group: String?
        @Option(help: "Author's ag1… address.") var author: String?
        @Option(help: "open, matched, settled or withdrawn.") var status: String?
        @Option(help: "nextCursor of the previous page.") var cursor: String = ""
        @Option(help: "Page size (1-500).") var limit: Int = 50
        func run() async throws {
            try await runCommand {
                var path = "/api/v1/intents?limit=\(limit)&cursor=\(cursor)"
                if let group { path += "&group=\(try hashID(group, "group").hex)" }
                if let author {
                    path += "&author=\(try addressArgument(author, "--author"))"
                }
                if let status { path += "&status=\(status)" }
                printJSON(try await node.client.get(path, as: API.ListView<API.IntentView>.self))
            }
        }
    }

    struct IntentQuery: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "intent", abstract: "An intent by ID.")
        @OptionGroup var node: NodeOption
        @OptionGroup var verification: VerifyOptions
        @Argument(help: "Intent ID.") var id: String
        func run() async throws {
            try await runCommand {
                let iid = try hashID(id, "intent")
                try await queryRecord(node, verification, path: "/api/v1/intents/\(iid.hex)", key: IntentKeys.intent(iid), as: API.IntentView.self,
                                      proof: \.proof, withoutProof: { var v = $0; v.proof = nil; return v },
                                      proven: { v, value in try provenFields(v) { () throws(ProvenRecordFields.Refusal) in try ProvenRecordFields.intent(v, id: iid, value: value) } })
            }
        }
    }

    struct SettlementsQuery: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "settlements", abstract: "Settlement proposals by party, mediator and status.")
        @OptionGroup var node: NodeOption
        @Option(help: "A party's ag1… address.") var party: String?
        @Option(help: "The mediator's ag1… address.") var mediator: String?
        @Option(help: "proposed, accepted, challenged, finalised, refunded or expired.") var status: String?
        @Option(help: "nextCursor of the previous page.") var cursor: String = ""
        @Option(help: "Page size (1-500).") var limit: Int = 50
        func run() async throws {
            try await runCommand {
                var path = "/api/v1/settlements?limit=\(limit)&cursor=\(cursor)"
                for (name, value) in [("party", party), ("mediator", mediator)] {
                    guard let value else { continue }
                    path += "&\(name)=\(try addressArgument(value, "--" + name))"
                }
                if let status { path += "&status=\(status)" }
                printJSON(try await node.client.get(path, as: API.ListView<API.SettlementView>.self))
            }
        }
    }

    struct SettlementQuery: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "settlement", abstract: "A settlement by ID.")
        @OptionGroup var node: NodeOption
        @Argument(help: "Settlement ID.") var id: String
        func run() async throws {
            try await runCommand {
                printJSON(try await node.client.get("/api/v1/settlements/\(try hashID(id, "settlement").hex)", as: API.SettlementView.self))
            }
        }
    }

    struct MediatorQuery: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "mediator", abstract: "A mediator's stake, fee rate and record.")
        @OptionGroup var node: NodeOption
        @Argument(help: "ag1… address.") var address: String
        func run() async throws {
            try await runCommand {
                let a = try addressArgument(address)
                printJSON(try await node.client.get("/api/v1/mediators/\(a)", as: API.MediatorView.self))
            }
        }
    }
}
