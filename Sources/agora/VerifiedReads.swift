import AgoraAPI
import AgoraAPIModels
import AgoraClient
import AgoraCore
import AgoraState
import ArgumentParser
import Foundation

/// `agora verify proof FILE|-` and `agora query … --verify`: a node's state answer (the JSON of
/// `GET /api/v1/proofs/state`, or a read asked with `?prove=true`) checked by the light client —
/// the header at the answer's height verified from the trust root, the proof against its
/// `stateRoot`, and the proven key the one asked for (docs/light-client.md).
extension VerifyCommand {
    struct VerifyProof: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "proof",
                                                        abstract: "Verify a state proof answer (JSON of /api/v1/proofs/state or a ?prove=true read) from FILE or - (stdin).")
        @OptionGroup var node: NodeOption
        @OptionGroup var trust: TrustOptions
        @Option(help: "The state key you asked for (hex): refuse an answer about another key.") var key: String?
        @Argument(help: "File holding the answer, or - for stdin.") var file: String

        static let maxAnswerBytes = 8 * 1024 * 1024

        func run() async throws {
            try await runCommand {
                let view = try Self.read(file)
                var asked: [UInt8]?
                if let key {
                    guard let bytes = Hex.decode(key), !bytes.isEmpty else { throw CLIError(.invalidInput, "--key \(key.prefix(80)) is not hex") }
                    asked = bytes
                }
                printJSON(try await verifyStateAnswer(view, askedKey: asked, node: node, trust: trust))
            }
        }

        /// The answer itself, or the `proof` member of a `?prove=true` read.
        static func read(_ file: String) throws -> API.StateProofView {
            let data: Data
            if file == "-" {
                data = FileHandle.standardInput.readData(ofLength: maxAnswerBytes + 1)
            } else {
                guard let d = FileManager.default.contents(atPath: file) else { throw CLIError(.invalidInput, "cannot read \(file)") }
                data = d
            }
            guard data.count <= maxAnswerBytes else { throw CLIError(.invalidInput, "\(file): more than \(maxAnswerBytes) bytes") }
            struct Wrapped: Decodable { let proof: API.StateProofView }
            if let view = try? JSONDecoder().decode(API.StateProofView.self, from: data) { return view }
            if let wrapped = try? JSONDecoder().decode(Wrapped.self, from: data) { return wrapped.proof }
            throw CLIError(.invalidInput, "\(file) holds neither a state proof answer nor a read with a proof member")
        }
    }
}

/// Verifies `view` with a light client bound to `node` and `trust`.
func verifyStateAnswer(_ view: API.StateProofView, askedKey: [UInt8]?, node: NodeOption, trust: TrustOptions) async throws -> VerifiedStateView {
    var session = try await LightSession.open(node: node, trust: trust)
    let answer = try await LightSession.refusing { () async throws(LightClientError) -> StateAnswer in try StateAnswer(view: view) }
    let verified = try await LightSession.refusing { () async throws(LightClientError) -> VerifiedState in
        try await session.client.verify(answer, askedKey: askedKey, source: session.source)
    }
    return VerifiedStateView(verified, fetched: session.client.fetched)
}

/// What a verified answer proves.
struct VerifiedStateView: Encodable {
    let verified = true
    let key: String
    let height: UInt64
    let present: Bool
    /// The proven value's canonical bytes (hex).
    let value: String?
    let headerHash: String
    let stateRoot: String
    let lightBlocksFetched: Int

    init(_ v: VerifiedState, fetched: Int) {
        key = Hex.encode(v.key); height = v.height; present = v.value != nil; value = v.value.map { Hex.encode($0) }
        headerHash = v.headerHash.hex; stateRoot = v.stateRoot.hex; lightBlocksFetched = fetched
    }
}

/// What `query … --verify` prints: the record and what was proven about it. Every field of
/// `record` was re-derived from or checked against the proven value, except those named in
/// `unprovenFields` (the node's index, which no state root covers).
struct VerifiedRecord<V: Encodable>: Encodable {
    let record: V
    let verified: VerifiedStateView
    let unprovenFields: [String]
}

/// A record view checked against its proven bytes: the view to print and the fields the proof
/// does not cover.
typealias ProvenRecord<V> = (record: V, unproven: [String])

/// `--verify` and the trust root, for the record queries.
struct VerifyOptions: ParsableArguments {
    @Flag(help: "Check the answer with the light client (needs --genesis, or --trust-height and --trust-hash); exit 5 if it is refused.")
    var verify = false
    @OptionGroup var trust: TrustOptions
}

/// A record read: plain, or with `?prove=true` and verified, printing `{record, verified,
/// unprovenFields}`. `proven` decodes the proven value and rewrites the node's record from it
/// (the account) or refuses the answer when a field disagrees with it (`value_mismatch`:
/// claims, offers, tasks, intents — `ProvenRecordFields`), so what is printed is what was proven.
func queryRecord<V: Codable & Sendable>(_ node: NodeOption, _ options: VerifyOptions, path: String, key: StateKey, as: V.Type,
                                        proof: (V) -> API.StateProofView?, withoutProof: (V) -> V,
                                        proven: (V, [UInt8]?) throws -> ProvenRecord<V>) async throws {
    guard options.verify else {
        printJSON(try await node.client.get(path, as: V.self))
        return
    }
    let view = try await node.client.get(path + "?prove=true", as: V.self)
    guard let answer = proof(view) else { throw CLIError(.unverified, "bad_proof: the node answered without a proof") }
    let verified = try await verifyStateAnswer(answer, askedKey: key.bytes, node: node, trust: options.trust)
    let checked = try proven(withoutProof(view), verified.value.flatMap { Hex.decode($0) })
    printJSON(VerifiedRecord(record: checked.record, verified: verified, unprovenFields: checked.unproven))
}

/// Checks a record view against its proven bytes (`ProvenRecordFields`); a disagreement exits 5
/// with its code, like any other refusal.
func provenFields<V>(_ view: V, _ check: () throws(ProvenRecordFields.Refusal) -> [String]) throws -> ProvenRecord<V> {
    do { return (view, try check()) } catch { throw CLIError(.unverified, "\(error.code): \(error.description)") }
}

/// The account as proven (an absent key is the empty account). The node's view may be a block
/// older or newer than its proof; the proven state is what is printed. `nextNonce` stays the
/// node's (it counts its mempool, which no proof covers).
func provenAccount(_ view: API.AccountView, _ value: [UInt8]?) throws -> ProvenRecord<API.AccountView> {
    var proven = Account.empty
    if let value {
        do { proven = try Account(canonicalBytes: value) } catch { throw CLIError(.unverified, "bad_proof: the proven account does not decode: \(error)") }
    }
    var out = view
    out.balance = proven.balance.units
    out.nonce = proven.nonce
    out.faucetClaimed = proven.faucetClaimed
    return (out, ["nextNonce"])
}
