import AgoraCore
import Foundation
import MCP

/// What a tool call can go wrong with, as the agent sees it: a code it can branch on and a
/// message naming the argument or the rule. Every case becomes a tool result with
/// `isError: true` (not a protocol error), so the model reads it and can correct its call.
public enum ToolError: Error, Equatable, Sendable, CustomStringConvertible {
    case missingArgument(String)
    case unknownArgument(String)
    case wrongType(argument: String, expected: String)
    case invalidArgument(argument: String, reason: String)
    /// The session acts as nobody: signing tools need an agent identity.
    case noIdentity
    case notFound(String)
    /// The node refused the request (its API error code and message).
    case nodeRefused(code: String, message: String)
    case nodeUnreachable(String)
    /// The node is at capacity (mempool busy, sender's queue full): the same call may succeed
    /// after `retryAfter` seconds.
    case nodeBusy(code: String, retryAfter: Int, message: String)
    /// The transaction was committed but its payload failed; the fee was paid.
    case transactionFailed(id: String, code: String, message: String)
    case transactionRejected(id: String, code: String, message: String)
    case timedOut(String)
    /// The session's light client refused the node's answer (`LightClientError.code`:
    /// `bad_proof`, `trust_expired`, …): the value is not returned, because it is not proven.
    case unverified(code: String, message: String)

    public var code: String {
        switch self {
        case .missingArgument: return "missing_argument"
        case .unknownArgument: return "unknown_argument"
        case .wrongType: return "wrong_type"
        case .invalidArgument: return "invalid_argument"
        case .noIdentity: return "no_identity"
        case .notFound: return "not_found"
        case let .nodeRefused(code, _): return code
        case .nodeUnreachable: return "node_unreachable"
        case let .nodeBusy(code, _, _): return code
        case let .transactionFailed(_, code, _): return code
        case let .transactionRejected(_, code, _): return code
        case .timedOut: return "timed_out"
        case let .unverified(code, _): return code
        }
    }

    public var description: String {
        switch self {
        case let .missingArgument(a): return "argument \"\(a)\" is required"
        case let .unknownArgument(a): return "argument \"\(a.prefix(64))\" is not accepted by this tool"
        case let .wrongType(a, t): return "argument \"\(a)\" must be \(t)"
        case let .invalidArgument(a, r): return "argument \"\(a)\": \(r)"
        case .noIdentity:
            return "this session has no agent identity; start `agora mcp --agent NAME` or connect to /mcp?agent=NAME"
        case let .notFound(what): return "\(what) not found"
        case let .nodeRefused(_, m): return "the node refused: \(m)"
        case let .nodeUnreachable(m): return m
        case let .nodeBusy(_, seconds, m): return "the node is busy, retry after \(seconds) s: \(m)"
        case let .transactionFailed(id, _, m): return "transaction \(id) was committed but failed (fee paid): \(m)"
        case let .transactionRejected(id, _, m): return "transaction \(id) was rejected: \(m)"
        case let .timedOut(m): return m
        case let .unverified(_, m): return "the answer is not verified: \(m)"
        }
    }
}

/// A tool call's arguments with typed, bounded accessors. Each accessor names the argument in
/// its error; `finish()` refuses arguments the tool did not read, so a misspelt optional
/// argument is an error instead of being silently ignored.
public struct ToolArguments: Sendable {
    private let values: [String: Value]
    private var read: Set<String> = []

    public init(_ values: [String: Value]?) { self.values = values ?? [:] }

    /// Refuses the first (in name order) argument outside `declared`: the tool's input schema,
    /// checked before a required argument can be reported missing.
    public func refuseUndeclared(_ declared: Set<String>) throws(ToolError) {
        if let extra = values.keys.sorted().first(where: { !declared.contains($0) }) { throw .unknownArgument(extra) }
    }

    public func finish(consumed: Set<String>) throws(ToolError) {
        if let extra = values.keys.sorted().first(where: { !consumed.contains($0) }) { throw .unknownArgument(extra) }
    }

    private func raw(_ name: String) -> Value? {
        guard let v = values[name], v != .null else { return nil }
        return v
    }

    public func string(_ name: String, maxBytes: Int, allowEmpty: Bool = false) throws(ToolError) -> String {
        guard let v = try optionalString(name, maxBytes: maxBytes, allowEmpty: allowEmpty) else { throw .missingArgument(name) }
        return v
    }

    public func optionalString(_ name: String, maxBytes: Int, allowEmpty: Bool = false) throws(ToolError) -> String? {
        guard let v = raw(name) else { return nil }
        guard case let .string(s) = v else { throw .wrongType(argument: name, expected: "a string") }
        guard s.utf8.count <= maxBytes else { throw .invalidArgument(argument: name, reason: "\(s.utf8.count) bytes, at most \(maxBytes) allowed") }
        guard allowEmpty || !s.isEmpty else { throw .invalidArgument(argument: name, reason: "must not be empty") }
        return s
    }

    public func optionalInteger(_ name: String, in range: ClosedRange<Int64>) throws(ToolError) -> Int64? {
        guard let v = raw(name) else { return nil }
        let n: Int64
        switch v {
        case let .int(i): n = Int64(i)
        case let .double(d) where d.rounded() == d && abs(d) < 9.0e15: n = Int64(d)
        default: throw .wrongType(argument: name, expected: "an integer")
        }
        guard range.contains(n) else { throw .invalidArgument(argument: name, reason: "\(n) is outside \(range.lowerBound)…\(range.upperBound)") }
        return n
    }

    public func integer(_ name: String, in range: ClosedRange<Int64>) throws(ToolError) -> Int64 {
        guard let n = try optionalInteger(name, in: range) else { throw .missingArgument(name) }
        return n
    }

    public func optionalBool(_ name: String) throws(ToolError) -> Bool? {
        guard let v = raw(name) else { return nil }
        guard case let .bool(b) = v else { throw .wrongType(argument: name, expected: "true or false") }
        return b
    }

    /// An amount in base units: an integer 0…2^63-1 (a positive one unless `allowZero`).
    public func amount(_ name: String, allowZero: Bool = false) throws(ToolError) -> Amount {
        let n = try integer(name, in: (allowZero ? 0 : 1)...Int64.max)
        return Amount(UInt64(n))!
    }

    public func hash(_ name: String) throws(ToolError) -> Hash {
        guard let h = try optionalHash(name) else { throw .missingArgument(name) }
        return h
    }

    public func optionalHash(_ name: String) throws(ToolError) -> Hash? {
        guard let s = try optionalString(name, maxBytes: 64) else { return nil }
        guard s.utf8.count == 64, let h = Hash(hex: s.lowercased()) else {
            throw .invalidArgument(argument: name, reason: "\"\(s)\" is not 64 hex digits")
        }
        return h
    }

    public func address(_ name: String) throws(ToolError) -> Address {
        guard let a = try optionalAddress(name) else { throw .missingArgument(name) }
        return a
    }

    public func optionalAddress(_ name: String) throws(ToolError) -> Address? {
        guard let s = try optionalString(name, maxBytes: 128) else { return nil }
        do { return try Address.parse(s) } catch { throw .invalidArgument(argument: name, reason: "\"\(s)\" \(error)") }
    }

    public func optionalStringArray(_ name: String, maxCount: Int, maxBytes: Int) throws(ToolError) -> [String]? {
        guard let v = raw(name) else { return nil }
        guard case let .array(items) = v else { throw .wrongType(argument: name, expected: "an array of strings") }
        guard items.count <= maxCount else { throw .invalidArgument(argument: name, reason: "\(items.count) items, at most \(maxCount) allowed") }
        var out: [String] = []
        for (i, item) in items.enumerated() {
            guard case let .string(s) = item else { throw .wrongType(argument: "\(name)[\(i)]", expected: "a string") }
            guard s.utf8.count <= maxBytes else { throw .invalidArgument(argument: "\(name)[\(i)]", reason: "longer than \(maxBytes) bytes") }
            out.append(s)
        }
        return out
    }

    public func optionalObjectArray(_ name: String, maxCount: Int) throws(ToolError) -> [[String: Value]]? {
        guard let v = raw(name) else { return nil }
        guard case let .array(items) = v else { throw .wrongType(argument: name, expected: "an array of objects") }
        guard items.count <= maxCount else { throw .invalidArgument(argument: name, reason: "\(items.count) items, at most \(maxCount) allowed") }
        var out: [[String: Value]] = []
        for (i, item) in items.enumerated() {
            guard case let .object(o) = item else { throw .wrongType(argument: "\(name)[\(i)]", expected: "an object") }
            out.append(o)
        }
        return out
    }
}

/// JSON Schema fragments for tool inputs. Every input schema is an object with
/// `additionalProperties: false`, which both MCP clients require and the argument checks enforce.
public enum Schema {
    public static func object(_ properties: [String: Value], required: [String] = []) -> Value {
        var o: [String: Value] = ["type": "object", "properties": .object(properties), "additionalProperties": false]
        if !required.isEmpty { o["required"] = .array(required.map { .string($0) }) }
        return .object(o)
    }

    public static func string(_ description: String, maxLength: Int? = nil, pattern: String? = nil, enumeration: [String]? = nil) -> Value {
        var o: [String: Value] = ["type": "string", "description": .string(description)]
        if let maxLength { o["maxLength"] = .int(maxLength) }
        if let pattern { o["pattern"] = .string(pattern) }
        if let enumeration { o["enum"] = .array(enumeration.map { .string($0) }) }
        return .object(o)
    }

    public static func integer(_ description: String, minimum: Int64 = 0, maximum: Int64? = nil) -> Value {
        var o: [String: Value] = ["type": "integer", "description": .string(description), "minimum": .int(Int(minimum))]
        if let maximum { o["maximum"] = .int(Int(maximum)) }
        return .object(o)
    }

    public static func boolean(_ description: String) -> Value { .object(["type": "boolean", "description": .string(description)]) }

    public static func array(_ description: String, items: Value, maxItems: Int) -> Value {
        .object(["type": "array", "description": .string(description), "items": items, "maxItems": .int(maxItems)])
    }

    public static let hash = string("64 lowercase hex digits", maxLength: 64, pattern: "^[0-9a-fA-F]{64}$")
    public static func hash(_ description: String) -> Value { string(description + " (64 hex digits)", maxLength: 64, pattern: "^[0-9a-fA-F]{64}$") }
    public static func address(_ description: String) -> Value { string(description + " (an ag1… Bech32m address, 41 characters)", maxLength: 128) }
    public static func amount(_ description: String) -> Value { integer(description + " (base units)", minimum: 1, maximum: Int64.max) }
}
