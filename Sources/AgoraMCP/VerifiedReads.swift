import AgoraAPI
import AgoraAPIModels
import AgoraClient
import AgoraCore
import AgoraState
import MCP

/// Reads of one state record (account, claim, offer, task, intent) that say whether their
/// answer was verified. Every such tool's output is the API view plus:
///
/// - `verified` (always): true only when this session's light client (`StateVerifier`) checked
///   the record's state proof against a header it verified from its trust root. False when the
///   session has no trust root — always so on the node's own `/mcp`, where the node answers
///   about itself.
/// - `verification` (when verified): the state key, the height and header hash proven at, the
///   header's `stateRoot` and the proven value's canonical bytes (hex; null when the record is
///   proven absent).
/// - `proof` (when the call passed `prove: true`): the node's `StateProof` answer — the value,
///   the proof, the header and its +2/3 commit — so the agent's own client can check it
///   (`agora verify proof`, or AgoraClient's `LightClient`).
///
/// A refused verification is the tool's error, with the light client's code (`bad_proof`,
/// `trust_expired`, `unknown_validator_set`, …): an unproven value is never returned as if it
/// were proven, and never silently returned unverified by a session that was asked to verify.
enum VerifiedReads {
    static let proveArgument = Schema.boolean("Attach the node's state proof, header and commit (proof), for the caller to verify itself")

    /// `GET path` as `V`, verified when the session has a verifier; then `fields` checks the
    /// view against the proven bytes (`ProvenRecordFields`: a disagreeing field is refused,
    /// `value_mismatch`).
    static func read<V: Codable & Sendable>(_ session: AgentSession, path: String, key: StateKey, prove: Bool,
                                            proof: WritableKeyPath<V, API.StateProofView?>,
                                            fields: (V, [UInt8]?) throws(ProvenRecordFields.Refusal) -> [String] = { _, _ in [] })
        async throws -> (view: V, verified: VerifiedState?) {
        guard let verifier = session.verifier else {
            return (try await session.gateway.get(prove ? path + "?prove=true" : path, as: V.self), nil)
        }
        var view = try await session.gateway.get(path + "?prove=true", as: V.self)
        guard let answer = view[keyPath: proof] else {
            throw ToolError.unverified(code: "bad_proof", message: "the node answered \(path) without a proof")
        }
        let verified: VerifiedState
        do { verified = try await verifier.verify(answer, key: key.bytes) } catch {
            throw ToolError.unverified(code: error.code, message: error.description)
        }
        do { _ = try fields(view, verified.value) } catch {
            throw ToolError.unverified(code: error.code, message: error.description)
        }
        if !prove { view[keyPath: proof] = nil }
        return (view, verified)
    }

    /// The tool's output: the view with `verified` and, when verified, `verification` — which
    /// names the view's `unprovenFields`, those the state record does not determine.
    static func output(_ view: Value, _ verified: VerifiedState?, unproven: [String] = []) -> Value {
        guard case var .object(o) = view else { return view }
        o["verified"] = .bool(verified != nil)
        if let v = verified {
            o["verification"] = .object([
                "key": .string(Hex.encode(v.key)), "height": .int(Int(v.height)), "headerHash": .string(v.headerHash.hex),
                "stateRoot": .string(v.stateRoot.hex), "value": v.value.map { .string(Hex.encode($0)) } ?? .null,
                "unprovenFields": .array(unproven.map { .string($0) }),
            ])
        }
        return .object(o)
    }

    /// The schema of `verified` and `verification`, added to an output's properties.
    static let properties: [String: Value] = [
        "verified": Schema.boolean("True only when this session's light client verified the answer's state proof from its trust root (agora mcp --genesis or --trust-height/--trust-hash); false on a node's own /mcp"),
        "verification": Schema.object([
            "key": Schema.string("State key (hex)"), "height": Schema.integer("Height the value is proven at"),
            "headerHash": Schema.hash("Hash of the verified header at that height"), "stateRoot": Schema.hash("That header's state root"),
            "value": Schema.nullable(Schema.string("The proven value's canonical bytes (hex); null: proven absent")),
            "unprovenFields": Schema.array("Fields of the answer the proven record does not determine (the node's index: texts, transaction IDs, times); every other field was checked against the proven value",
                                           items: Schema.string("Field name"), maxItems: 32),
        ], required: ["key", "height", "headerHash", "stateRoot", "value", "unprovenFields"]),
    ]
}

extension ToolOutput {
    /// An API view with the `verified` fields of `VerifiedReads`.
    static func verifiedView(_ component: String) -> ToolOutput {
        guard case var .object(schema)? = OpenAPISchemas.component(component), case var .object(props)? = schema["properties"],
              case var .array(required)? = schema["required"] else { return .view(component) }
        for (k, v) in VerifiedReads.properties { props[k] = v }
        required.append("verified")
        schema["properties"] = .object(props)
        schema["required"] = .array(required)
        return ToolOutput(root: .object(schema))
    }
}
