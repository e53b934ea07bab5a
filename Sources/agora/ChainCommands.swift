import AgoraAPIModels
import AgoraCore
import AgoraState
import AgoraCrypto
import AgoraLedger
import AgoraP2P
import ArgumentParser
import Foundation

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the node's chain, head and mempool (JSON).")
    @OptionGroup var node: NodeOption

    func run() async throws {
        try await runCommand { printJSON(try await node.client.get("/api/v1/status", as: API.StatusView.self)) }
    }
}

struct Peers: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the node's connected peers (JSON).")
    @OptionGroup var node: NodeOption

    func run() async throws {
        try await runCommand { printJSON(try await node.client.get("/api/v1/peers", as: API.ListView<PeerService.PeerInfo>.self)) }
    }
}

struct Query: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Read from the ledger (JSON).",
                                                    subcommands: [AccountQuery.self, BlockQuery.self, TxQuery.self, ValidatorsQuery.self, GovQuery.self,
                                                                  GroupQuery.self, GroupsQuery.self, ClaimsQuery.self, ClaimQuery.self, ThreadQuery.self, ContextQuery.self,
                                                                  TasksQuery.self, TaskQuery.self, PresenceQuery.self,
                                                                  OffersQuery.self, OfferQuery.self, PurchasesQuery.self, PurchaseQuery.self,

                                                                  IntentsQuery.self, IntentQuery.self, SettlementsQuery.self, SettlementQuery.self, MediatorQuery.self])

    struct AccountQuery: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "account", abstract: "Balance and nonce of an address.")
        @OptionGroup var node: NodeOption
        @OptionGroup var verification: VerifyOptions
        @Argument(help: "ag1… address.") var address: String

        func run() async throws {
            try await runCommand {
                let a = try addressArgument(address)
                try await queryRecord(node, verification, path: "/api/v1/accounts/\(a)", key: BankKeys.account(a), as: API.AccountView.self,
                                      proof: \.proof, withoutProof: { var v = $0; v.proof = nil; return v }, proven: provenAccount)
            }
        }
    }

    struct BlockQuery: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "block", abstract: "A block by height, hash or `latest`.")
        @OptionGroup var node: NodeOption
        @Argument(help: "Height, block hash, or latest.") var ref: String

        func run() async throws {
            try await runCommand { printJSON(try await node.client.get("/api/v1/blocks/\(ref)", as: API.BlockView.self)) }
        }
    }

    struct TxQuery: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "tx", abstract: "A transaction's status by ID.")
        @OptionGroup var node: NodeOption
        @Argument(help: "Transaction ID (hex).") var id: String

        func run() async throws {
            try await runCommand {
                guard Hash(hex: id) != nil else { throw CLIError(Exit.invalidInput, "\(id) is not a transaction ID (64 hex digits)") }
                printJSON(try await node.client.get("/api/v1/transactions/\(id)", as: API.TransactionStatusView.self))
            }
        }
    }
}

struct TxOptions: ParsableArguments {
    @OptionGroup var node: NodeOption
    @OptionGroup var keys: KeysOption
    @Option(help: "Sender key: a name in the key directory or a file path (encrypted: $AGORA_KEY_PASSWORD or a prompt).") var key: String
    @Option(help: "Fee in base units (default: the chain's minimum).") var fee: UInt64?
    @Option(help: "Nonce (default: the account's next, counting pending transactions).") var nonce: UInt64?
    @Option(help: "Blocks from now until the transaction expires.") var expiresIn: UInt64 = 100
    @Flag(help: "Wait until the transaction is committed or rejected.") var wait = false
    @Option(help: "Seconds to wait with --wait.") var timeout: Double = 30
}

/// Signs a payload with the sender's key against the node's chain and head, submits it, and
/// optionally waits for the outcome.
@discardableResult
func submit(_ payload: Payload, options: TxOptions, zeroFee: Bool = false) async throws -> Transaction {
    try await submit(options: options, zeroFee: zeroFee) { _, _ in payload }
}

/// As above, for a payload that depends on the chain ID and the sender's key (a key-rotation
/// proof signs both). Returns the transaction (its nonce names what it creates).
@discardableResult
func submit(options: TxOptions, zeroFee: Bool = false, _ makePayload: (_ chainID: String, _ sender: PublicKey) throws -> Payload) async throws -> Transaction {
    let signer = try unlockKey(options.keys.path(for: options.key))
    let client = options.node.client
    let status = try await client.get("/api/v1/status", as: API.StatusView.self)
    let payload = try makePayload(status.chainID, signer.publicKey)
    let nonce: UInt64
    if let n = options.nonce { nonce = n } else {
        nonce = try await client.get("/api/v1/accounts/\(signer.address)", as: API.AccountView.self).nextNonce
    }
    guard let fee = Amount(zeroFee ? 0 : (options.fee ?? status.params.minFee)) else {
        throw CLIError(Exit.invalidInput, "--fee is above 2^63-1")
    }
    let body = TransactionBody(chainID: status.chainID, sender: signer.publicKey, nonce: nonce, fee: fee,
                               expiresAt: status.height + max(1, options.expiresIn), payload: payload)
    let tx = signer.sign(body)
    let submitted = try await client.post("/api/v1/transactions", API.SubmitRequest(tx: Hex.encode(tx.bytes)),
                                          as: API.SubmitResponse.self)
    print("tx \(submitted.id) \(submitted.status)")
    guard options.wait else { return tx }
    let deadline = Date().addingTimeInterval(options.timeout)
    while Date() < deadline {
        if let s = try await client.find("/api/v1/transactions/\(submitted.id)", as: API.TransactionStatusView.self) {
            switch s.status {
            case "committed":
                if s.success == true {
                    print("committed at height \(s.height ?? 0)")
                    return tx
                }
                throw CLIError(Exit.failed, "committed at height \(s.height ?? 0) but failed: \(s.error?.code ?? "?"): \(s.error?.message ?? "")")
            case "rejected":
                throw CLIError(Exit.failed, "rejected: \(s.error?.code ?? "?"): \(s.error?.message ?? "")")
            default:
                break
            }
        }
        try await Task.sleep(for: .milliseconds(200))
    }
    throw CLIError(Exit.timedOut, "transaction \(submitted.id) not committed after \(options.timeout) s")
}

struct Tx: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Sign and submit transactions.",
                                                    subcommands: [Transfer.self, Faucet.self, ValidatorTx.self, GroupTx.self, ClaimTx.self, TaskTx.self, IntentTx.self, GovTx.self])

    struct Transfer: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send tokens to an address.")
        @OptionGroup var options: TxOptions
        @Option(help: "Recipient ag1… address.") var to: String
        @Option(help: "Amount in base units.") var amount: UInt64
        @Option(help: "Memo (at most 256 bytes).") var memo: String = ""

        func run() async throws {
            try await runCommand {
                let recipient = try addressArgument(to, "--to")
                guard let value = Amount(amount), value > .zero else { throw CLIError(Exit.invalidInput, "--amount must be 1…2^63-1") }
                guard memo.utf8.count <= Limits.maxMemoBytes else { throw CLIError(Exit.invalidInput, "--memo is over 256 bytes") }
                try await submit(.transfer(to: recipient, amount: value, memo: memo), options: options)
            }
        }
    }

    struct Faucet: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Claim the faucet's one-time grant for a new account.")
        @OptionGroup var options: TxOptions

        func run() async throws {
            try await runCommand { try await submit(.faucet, options: options, zeroFee: true) }
        }
    }
}
