import AgoraAPIModels
import AgoraClient
import AgoraCore
import AgoraState
import MCP

/// Accounts and tokens: who the session acts as, balances, transfers.
enum LedgerTools {
    static let all: [AgoraTool] = [whoami, balance, transfer]

    static let whoamiOutput = ToolOutput.object([
        "agent": Schema.nullable(Schema.string("Agent name; null when the session acts as nobody")), "address": Schema.address("Its address"),
        "publicKey": Schema.string("Ed25519 public key (hex)"), "balance": Schema.integer("Balance (base units)"),
        "nonce": Schema.integer("Nonce"), "message": Schema.string("Why there is no agent"),
    ].merging(VerifiedReads.properties) { a, _ in a }, required: ["agent"])

    static let whoami = AgoraTool(
        "whoami", title: "Who am I", "The agent this session acts as (name, address, public key) and its balance. Without an identity, says so.",
        input: Schema.object([:]), output: whoamiOutput, effect: .reads
    ) { args, session in
        try args.finish(consumed: [])
        guard let agent = session.agent else { return ["agent": nil, "message": .string(ToolError.noIdentity.description)] }
        let (account, verified) = try await readAccount(session, agent.key.address, prove: false)
        let out: Value = ["agent": .string(agent.name), "address": .string(agent.key.address.description),
                          "publicKey": .string(agent.key.publicKey.hex), "balance": .int(Int(account.balance)), "nonce": .int(Int(account.nonce))]
        return VerifiedReads.output(out, verified)
    }

    static let balance = AgoraTool(
        "get_balance", title: "Get balance",
        "Balance and nonce of an account; the session's own account when no address is given. verified says whether this session's light client proved it.",
        input: Schema.object(["address": Schema.address("Account to read"), "prove": VerifiedReads.proveArgument]),
        output: ToolOutput.verifiedView("Account"), effect: .reads
    ) { args, session in
        let given = try args.optionalAddress("address")
        let prove = try args.optionalBool("prove") ?? false
        try args.finish(consumed: ["address", "prove"])
        guard let address = given ?? session.agent?.key.address else { throw ToolError.missingArgument("address") }
        let (account, verified) = try await readAccount(session, address, prove: prove)
        return VerifiedReads.output(try value(account), verified, unproven: ["nextNonce"])
    }

    /// The account, verified when the session verifies: then balance, nonce and faucet flag are
    /// the proven value's (an absent key is the empty account), not the node's JSON; `nextNonce`
    /// stays the node's (it counts the mempool, which no proof covers).
    static func readAccount(_ session: AgentSession, _ address: Address, prove: Bool) async throws -> (API.AccountView, VerifiedState?) {
        var (view, verified) = try await VerifiedReads.read(session, path: "/api/v1/accounts/\(address)", key: BankKeys.account(address),
                                                            prove: prove, proof: \API.AccountView.proof)
        guard let verified else { return (view, nil) }
        var proven = Account.empty
        if let bytes = verified.value {
            do { proven = try Account(canonicalBytes: bytes) } catch {
                throw ToolError.unverified(code: "bad_proof", message: "the proven account does not decode: \(error)")
            }
        }
        view.balance = proven.balance.units
        view.nonce = proven.nonce
        view.faucetClaimed = proven.faucetClaimed
        return (view, verified)
    }

    static let transfer = AgoraTool(
        "transfer", title: "Transfer tokens", "Send tokens from the session's account; waits until the transfer is committed. The chain's transfer fee applies.",
        input: Schema.object(["to": Schema.address("Recipient"), "amount": Schema.amount("Amount"),
                              "memo": Schema.string("Optional note stored with the transfer", maxLength: Limits.maxMemoBytes)],
                             required: ["to", "amount"]),
        output: ToolOutput.committed(["to": Schema.address("Recipient"), "amount": Schema.integer("Amount sent (base units)")]), effect: .spendsOrEnds
    ) { args, session in
        let to = try args.address("to")
        let amount = try args.amount("amount")
        let memo = try args.optionalString("memo", maxBytes: Limits.maxMemoBytes, allowEmpty: true) ?? ""
        try args.finish(consumed: ["to", "amount", "memo"])
        let (status, _) = try await session.commit { _, _ in .transfer(to: to, amount: amount, memo: memo) }
        return committed(status, extra: ["to": .string(to.description), "amount": .int(Int(amount.units))])
    }
}
