import AgoraAPIModels
import AgoraClient
import Foundation
import MCP

/// What a call does to the ledger, declared once per tool and shown to clients as the MCP
/// annotations (`readOnlyHint`, `destructiveHint`, `idempotentHint`).
public enum ToolEffect: Sendable {
    /// Reads only.
    case reads
    /// Adds to the ledger (a claim, a group, a task); calling twice adds twice.
    case adds
    /// Adds, and calling again with the same arguments changes nothing more (an artifact by hash,
    /// a heartbeat).
    case addsIdempotently
    /// Moves or locks the agent's tokens, or ends something for good (a transfer, an escrow, a
    /// bond, a dispute, a cancelled task): a host should ask before calling it.
    case spendsOrEnds

    var annotations: Tool.Annotations.Hints {
        switch self {
        case .reads: return .init(readOnly: true, destructive: false, idempotent: true)
        case .adds: return .init(readOnly: false, destructive: false, idempotent: false)
        case .addsIdempotently: return .init(readOnly: false, destructive: false, idempotent: true)
        case .spendsOrEnds: return .init(readOnly: false, destructive: true, idempotent: false)
        }
    }
}

extension Tool.Annotations {
    struct Hints { let readOnly, destructive, idempotent: Bool }
}

/// One tool, declared once: its name, title, description, input and output schemas and effect
/// become what clients see in `tools/list`; `run` is the call. A new tool is one such value added
/// to its module's `all` list (`ToolCatalogTests` then requires a representative call of it
/// whose result matches its output schema).
public struct AgoraTool: Sendable {
    public let definition: Tool
    public let output: ToolOutput
    /// The argument names the input schema declares (it allows no others).
    let declaredArguments: Set<String>
    let run: @Sendable (ToolArguments, AgentSession) async throws -> Value

    init(_ name: String, title: String, _ description: String, input: Value, output: ToolOutput, effect: ToolEffect,
         run: @escaping @Sendable (ToolArguments, AgentSession) async throws -> Value) {
        let hints = effect.annotations
        definition = Tool(name: name, title: title, description: description, inputSchema: input,
                          annotations: .init(title: title, readOnlyHint: hints.readOnly, destructiveHint: hints.destructive,
                                             idempotentHint: hints.idempotent, openWorldHint: false),
                          outputSchema: output.schema)
        self.output = output
        if case let .object(schema) = input, case let .object(properties)? = schema["properties"] {
            declaredArguments = Set(properties.keys)
        } else {
            declaredArguments = []
        }
        self.run = run
    }
}

/// Every tool Agora offers agents, and the one place a call is dispatched and its failure
/// turned into something the model can read. Results carry the answer twice: as
/// `structuredContent` (JSON) for clients that use it and as text for those that do not.
public enum ToolCatalog {
    public static let tools: [AgoraTool] = LedgerTools.all + GroupTools.all + ClaimTools.all + ArtifactTools.all + TaskTools.all + PresenceTools.all + MarketTools.all + IntentTools.all + GovernanceTools.all
    static let byName: [String: AgoraTool] = Dictionary(tools.map { ($0.definition.name, $0) }, uniquingKeysWith: { a, _ in a })

    public static var definitions: [Tool] { tools.map(\.definition) }

    /// Runs a call. An unknown tool is a protocol error (invalid params), as the MCP spec says;
    /// everything that goes wrong inside a known tool is a result with `isError: true`.
    public static func call(_ name: String, arguments: [String: Value]?, session: AgentSession) async throws -> CallTool.Result {
        guard let tool = byName[name] else { throw MCPError.invalidParams("unknown tool \"\(name.prefix(64))\"; tools/list names them") }
        do {
            let args = ToolArguments(arguments)
            // Before any accessor runs: a misspelt `grop` is reported as itself, not as
            // `group` missing.
            try args.refuseUndeclared(tool.declaredArguments)
            let value = try await tool.run(args, session)
            return CallTool.Result(content: [.text(text: render(value), annotations: nil, _meta: nil)], structuredContent: value as Value?, isError: false)
        } catch {
            let e = toolError(error)
            var error: [String: Value] = ["code": .string(e.code), "message": .string(e.description)]
            // A busy node names when to come back, as HTTP's Retry-After does.
            if case let .nodeBusy(_, seconds, _) = e { error["retryAfterSeconds"] = .int(seconds) }
            let value: Value = ["error": .object(error)]
            return CallTool.Result(content: [.text(text: "error \(e.code): \(e.description)", annotations: nil, _meta: nil)], structuredContent: value as Value?, isError: true)
        }
    }

    static func toolError(_ error: Error) -> ToolError {
        switch error {
        case let e as ToolError: return e
        case let e as NodeGateway.Failure:
            switch e {
            case let .refused(status, code, message): return status == 404 ? .notFound(message) : .nodeRefused(code: code, message: message)
            case let .busy(_, code, message, seconds): return .nodeBusy(code: code, retryAfter: seconds, message: message)
            case .unreachable, .invalidURL: return .nodeUnreachable(e.description)
            case .unexpectedResponse: return .nodeRefused(code: "unexpected_response", message: e.description)
            }
        case let e as TransactionSender.Failure:
            switch e {
            case let .failed(id, _, code, message): return .transactionFailed(id: id, code: code, message: message)
            case let .rejected(id, code, message): return .transactionRejected(id: id, code: code, message: message)
            case .timedOut: return .timedOut(e.description)
            case .feeOutOfRange: return .invalidArgument(argument: "fee", reason: e.description)
            }
        default:
            return .nodeRefused(code: "internal", message: "\(error)")
        }
    }

    static func render(_ value: Value) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return "\(value)" }
        return String(decoding: data, as: UTF8.self)
    }
}

/// Converts an API view to a tool value.
func value<T: Codable>(_ view: T) throws -> Value {
    do { return try Value(view) } catch { throw ToolError.nodeRefused(code: "unexpected_response", message: "\(error)") }
}

/// The outcome of a signing tool: the transaction and where it landed.
func committed(_ status: API.TransactionStatusView, extra: [String: Value] = [:]) -> Value {
    var o: [String: Value] = ["transaction": .string(status.id), "height": .int(Int(status.height ?? 0)),
                              "feePaid": .int(Int(status.feePaid ?? 0)), "status": .string(status.status)]
    for (k, v) in extra { o[k] = v }
    return .object(o)
}
