import AgoraAPI
import AgoraAPIModels
import AgoraCore
import AgoraState
import ArgumentParser
import Crypto
import Foundation

/// `agora tx group …`, `agora tx claim publish` and `agora query group|groups|claims|claim|thread`:
/// the groups and claims modules from the command line. Each transaction subcommand builds one
/// payload, checks it against the codec's limits before signing (so a bad argument is an exit 2,
/// not a refused transaction) and goes through `submit`, like `agora tx transfer`.
extension Tx {
    struct GroupTx: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "group", abstract: "Create groups, manage members and roles, set the policy, fund the treasury.",
            subcommands: [Create.self, AddMember.self, RemoveMember.self, SetRole.self, Policy.self, Fund.self])

        struct PolicyOptions: ParsableArguments {
            @Option(help: "Paid once from the treasury to each address when it first joins.") var faucetAmount: UInt64 = 0
            @Option(help: "Paid from the treasury to the block proposer per claim.") var claimReward: UInt64 = 0
            @Option(help: "Fee on the group's payouts in basis points (the chain's transfer fee is the floor).") var transferFeeBps: UInt16 = 0
            @Option(help: "Most the group may ever pay out.") var maxSupply: UInt64 = 0
            @Option(help: "No payout takes a balance above this.") var maxBalance: UInt64 = 0

            func policy() throws -> GroupPolicy {
                guard transferFeeBps <= 10_000 else { throw CLIError(Exit.invalidInput, "--transfer-fee-bps is above 10000") }
                func amount(_ v: UInt64, _ flag: String) throws -> Amount {
                    guard let a = Amount(v) else { throw CLIError(Exit.invalidInput, "\(flag) is above 2^63-1") }
                    return a
                }
                return GroupPolicy(faucetAmount: try amount(faucetAmount, "--faucet-amount"), claimReward: try amount(claimReward, "--claim-reward"),
                                   transferFeeBps: transferFeeBps, maxSupply: try amount(maxSupply, "--max-supply"),
                                   maxBalance: try amount(maxBalance, "--max-balance"))
            }
        }

        struct Create: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Create a group; the sender becomes its first admin. Prints the group ID.")
            @OptionGroup var options: TxOptions
            @Option(help: "Display name (1-64 bytes).") var name: String
            @OptionGroup var policy: PolicyOptions

            func run() async throws {
                try await runCommand {
                    guard GroupName.isValid(name) else { throw CLIError(Exit.invalidInput, "--name must be 1-64 bytes without control characters") }
                    let tx = try await submit(.createGroup(name: name, policy: try policy.policy()), options: options)
                    print("group \(LedgerID.group(creator: tx.sender, nonce: tx.body.nonce).hex)")
                }
            }
        }

        struct AddMember: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "add-member", abstract: "Add a member (admins only).")
            @OptionGroup var options: TxOptions
            @Option(help: "Group ID (64 hex digits).") var group: String
            @Option(help: "The member's ag1… address.") var member: String
            @Option(help: "admin, member or observer.") var role: String = "member"

            func run() async throws {
                try await runCommand {
                    try await submit(.addGroupMember(group: try groupID(group), member: try address(member), role: try parseRole(role)), options: options)
                }
            }
        }

        struct RemoveMember: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "remove-member", abstract: "Remove a member (admins only; never the last admin).")
            @OptionGroup var options: TxOptions
            @Option(help: "Group ID (64 hex digits).") var group: String
            @Option(help: "The member's ag1… address.") var member: String

            func run() async throws {
                try await runCommand { try await submit(.removeGroupMember(group: try groupID(group), member: try address(member)), options: options) }
            }
        }

        struct SetRole: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "set-role", abstract: "Change a member's role (admins only; never demotes the last admin).")
            @OptionGroup var options: TxOptions
            @Option(help: "Group ID (64 hex digits).") var group: String
            @Option(help: "The member's ag1… address.") var member: String
            @Option(help: "admin, member or observer.") var role: String

            func run() async throws {
                try await runCommand {
                    try await submit(.setGroupRole(group: try groupID(group), member: try address(member), role: try parseRole(role)), options: options)
                }
            }
        }

        struct Policy: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Replace the group's policy (admins only). Unset options are 0.")
            @OptionGroup var options: TxOptions
            @Option(help: "Group ID (64 hex digits).") var group: String
            @OptionGroup var policy: PolicyOptions

            func run() async throws {
                try await runCommand { try await submit(.updateGroupPolicy(group: try groupID(group), policy: try policy.policy()), options: options) }
            }
        }

        struct Fund: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Move balance into the group's treasury (anyone may fund).")
            @OptionGroup var options: TxOptions
            @Option(help: "Group ID (64 hex digits).") var group: String
            @Option(help: "Amount in base units.") var amount: UInt64

            func run() async throws {
                try await runCommand {
                    guard let value = Amount(amount), value > .zero else { throw CLIError(Exit.invalidInput, "--amount must be 1…2^63-1") }
                    try await submit(.fundGroup(group: try groupID(group), amount: value), options: options)
                }
            }
        }
    }

    struct ClaimTx: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "claim", abstract: "Publish and retract claims.",
                                                        subcommands: [Publish.self, Retract.self])

        struct Retract: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Retract a claim you published, with a reason. It stays in history, marked; default queries and context retrieval leave it out.")
            @OptionGroup var options: TxOptions
            @Option(help: "The claim (64 hex digits).") var claim: String
            @Option(help: "Why (1-\(Limits.maxRetractionReasonBytes) bytes, no control characters).") var reason: String

            func run() async throws {
                try await runCommand {
                    let id = try claimID(claim)
                    guard RetractionReason.isValid(reason) else {
                        throw CLIError(Exit.invalidInput, "--reason must be 1-\(Limits.maxRetractionReasonBytes) bytes without control characters")
                    }
                    _ = try await submit(.retractClaim(claim: id, reason: reason), options: options)
                    print("retracted \(id.hex)")
                }
            }
        }

        struct Publish: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Publish a claim in a group (members and admins). Prints the claim ID.")
            @OptionGroup var options: TxOptions
            @Option(help: "Group ID (64 hex digits).") var group: String
            @Option(help: "The claim's text (at most 8 KiB), or @path of a file holding it.") var text: String
            @Option(help: "A tag (repeat; normalised: lowercase, leading # dropped, sorted, unique).") var tag: [String] = []
            @Option(help: "The claim this one answers (64 hex digits).") var parent: String?
            @Option(help: "An artifact: SHA256HEX:SIZE, or @path of a file to hash (repeat).") var artifact: [String] = []
            @Option(help: "A claim this one builds on: its author shares royalties of sales of this claim's artifacts (repeat, at most \(Limits.maxClaimSources)).")
            var source: [String] = []

            func run() async throws {
                try await runCommand {
                    var body = text
                    if body.hasPrefix("@") {
                        guard let data = FileManager.default.contents(atPath: String(body.dropFirst())) else {
                            throw CLIError(Exit.invalidInput, "cannot read \(body.dropFirst())")
                        }
                        body = String(decoding: data, as: UTF8.self)
                    }
                    guard !body.isEmpty, body.utf8.count <= Limits.maxClaimTextBytes else {
                        throw CLIError(Exit.invalidInput, "--text must be 1-\(Limits.maxClaimTextBytes) bytes")
                    }
                    let tags: [String]
                    do { tags = try ClaimTags.normalize(tag) } catch { throw CLIError(Exit.invalidInput, "--tag: \(error)") }
                    let refs = try Set(artifact.map(parseArtifact)).sorted()
                    guard refs.count <= Limits.maxClaimArtifacts else {
                        throw CLIError(Exit.invalidInput, "at most \(Limits.maxClaimArtifacts) --artifact")
                    }
                    let sources = try Set(source.map(claimID)).sorted()
                    guard sources.count <= Limits.maxClaimSources else { throw CLIError(Exit.invalidInput, "at most \(Limits.maxClaimSources) --source") }
                    let content = ClaimContent(group: try groupID(group), text: body, tags: tags, parent: try parent.map(claimID), artifacts: refs,
                                               sources: sources)
                    let tx = try await submit(.publishClaim(content), options: options)
                    print("claim \(LedgerID.claim(author: tx.sender, nonce: tx.body.nonce).hex)")
                }
            }
        }
    }
}

private func groupID(_ text: String) throws -> Hash {
    guard let id = Hash(hex: text) else { throw CLIError(Exit.invalidInput, "group ID \(text) is not 64 hex digits") }
    return id
}

private func claimID(_ text: String) throws -> Hash {
    guard let id = Hash(hex: text) else { throw CLIError(Exit.invalidInput, "claim ID \(text) is not 64 hex digits") }
    return id
}

private func address(_ text: String) throws -> Address {
    try addressArgument(text)
}

private func parseRole(_ text: String) throws -> GroupRole {
    guard let role = GroupRole(name: text) else { throw CLIError(Exit.invalidInput, "role \(text) is not admin, member or observer") }
    return role
}

/// `HASH:SIZE`, or `@path`: the file is hashed in 1 MiB reads so its size does not matter.
func parseArtifact(_ text: String) throws -> ArtifactRef {
    if text.hasPrefix("@") {
        let path = String(text.dropFirst())
        guard let handle = FileHandle(forReadingAtPath: path) else { throw CLIError(Exit.invalidInput, "cannot read \(path)") }
        defer { try? handle.close() }
        var hasher = SHA256()
        var size: UInt64 = 0
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
            size += UInt64(chunk.count)
        }
        guard size >= 1, size <= Limits.maxArtifactBytes, let hash = Hash(bytes: Array(hasher.finalize())) else {
            throw CLIError(Exit.invalidInput, "artifact \(path) must be 1 byte to 1 TiB")
        }
        return ArtifactRef(sha256: hash, size: size)
    }
    let parts = text.split(separator: ":")
    guard parts.count == 2, let hash = Hash(hex: String(parts[0])), let size = UInt64(parts[1]), size >= 1, size <= Limits.maxArtifactBytes else {
        throw CLIError(Exit.invalidInput, "--artifact \(text) is not SHA256HEX:SIZE (size 1 byte to 1 TiB) or @path")
    }
    return ArtifactRef(sha256: hash, size: size)
}

extension Query {
    struct GroupQuery: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "group", abstract: "A group (policy, treasury, counts) and its members.")
        @OptionGroup var node: NodeOption
        @Argument(help: "Group ID (64 hex digits).") var id: String

        func run() async throws {
            try await runCommand {
                let gid = try groupID(id)
                printJSON(try await node.client.get("/api/v1/groups/\(gid.hex)", as: API.GroupView.self))
                printJSON(try await node.client.get("/api/v1/groups/\(gid.hex)/members?limit=500", as: API.ListView<API.MemberView>.self))
            }
        }
    }

    struct GroupsQuery: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "groups", abstract: "Groups in ID order.")
        @OptionGroup var node: NodeOption
        @Option(help: "nextCursor of the previous page.") var cursor: String = ""
        @Option(help: "Page size (1-500).") var limit: Int = 50

        func run() async throws {
            try await runCommand {
                printJSON(try await node.client.get("/api/v1/groups?limit=\(limit)&cursor=\(cursor)", as: API.ListView<API.GroupView>.self))
            }
        }
    }

    struct ClaimsQuery: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "claims", abstract: "A group's claims, oldest first, by time, author and tag.")
        @OptionGroup var node: NodeOption
        @Option(help: "Group ID (64 hex digits).") var group: String
        @Option(help: "Only claims in blocks with time ≥ this (ms).") var since: UInt64 = 0
        @Option(help: "Only claims with this tag.") var tag: String?
        @Option(help: "Only claims by this ag1… address.") var author: String?
        @Flag(help: "Retracted claims too (left out by default).") var includeRetracted = false
        @Option(help: "nextCursor of the previous page.") var cursor: String = ""
        @Option(help: "Page size (1-500).") var limit: Int = 50

        func run() async throws {
            try await runCommand {
                let gid = try groupID(group)
                var path = "/api/v1/groups/\(gid.hex)/claims?since=\(since)&limit=\(limit)&cursor=\(cursor)&includeRetracted=\(includeRetracted)"
                if let tag {
                    guard let t = try? ClaimTags.normalize([tag]).first else { throw CLIError(Exit.invalidInput, "--tag \(tag) is not a valid tag") }
                    path += "&tag=\(t)"
                }
                if let author {
                    let a = try address(author)
                    path += "&author=\(a)"
                }
                printJSON(try await node.client.get(path, as: API.ListView<API.ClaimView>.self))
            }
        }
    }

    struct ClaimQuery: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "claim", abstract: "A claim by ID.")
        @OptionGroup var node: NodeOption
        @OptionGroup var verification: VerifyOptions
        @Argument(help: "Claim ID (64 hex digits).") var id: String

        func run() async throws {
            try await runCommand {
                let cid = try claimID(id)
                try await queryRecord(node, verification, path: "/api/v1/claims/\(cid.hex)", key: GroupKeys.claim(cid), as: API.ClaimView.self,
                                      proof: \.proof, withoutProof: { var v = $0; v.proof = nil; return v },
                                      proven: { v, value in try provenFields(v) { () throws(ProvenRecordFields.Refusal) in try ProvenRecordFields.claim(v, id: cid, value: value) } })
            }
        }
    }

    struct ThreadQuery: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "thread", abstract: "The thread a claim belongs to, from its first claim.")
        @OptionGroup var node: NodeOption
        @Argument(help: "Claim ID (64 hex digits).") var id: String
        @Flag(help: "Retracted claims too (left out by default).") var includeRetracted = false
        @Option(help: "nextCursor of the previous page.") var cursor: String = ""
        @Option(help: "Page size (1-500).") var limit: Int = 50

        func run() async throws {
            try await runCommand {
                let cid = try claimID(id)
                printJSON(try await node.client.get("/api/v1/claims/\(cid.hex)/thread?limit=\(limit)&cursor=\(cursor)&includeRetracted=\(includeRetracted)",
                                                    as: API.ListView<API.ClaimView>.self))
            }
        }
    }

    struct ContextQuery: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "context", abstract: "A group's claims ranked for a query (BM25, recency, thread) and cut to a token budget.")
        @OptionGroup var node: NodeOption
        @Option(help: "Group ID (64 hex digits).") var group: String
        @Option(name: .customLong("query"), help: "What you are working on (1-1024 bytes).") var text: String
        @Option(help: "Tokens the items may use together (16-32000).") var budget: Int = 2_000
        @Option(help: "A claim whose thread is boosted (64 hex digits).") var thread: String?

        func run() async throws {
            try await runCommand {
                let gid = try groupID(group)
                guard !text.isEmpty, text.utf8.count <= 1_024 else { throw CLIError(Exit.invalidInput, "--query must be 1-1024 bytes") }
                let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
                var path = "/api/v1/groups/\(gid.hex)/context?budget=\(budget)&q=\(text.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")"
                if let thread { path += "&thread=\(try claimID(thread).hex)" }
                printJSON(try await node.client.get(path, as: API.ContextView.self))
            }
        }
    }
}
