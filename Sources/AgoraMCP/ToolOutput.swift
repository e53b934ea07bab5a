import AgoraAPI
import Foundation
import MCP

/// What a tool returns, declared once beside the tool: the JSON Schema clients see as the tool's
/// `outputSchema`, which every successful result's `structuredContent` conforms to (the MCP tests
/// check it against real calls, and both Python clients validate it on every call).
///
/// Views the HTTP API also returns are named, not rewritten: `ToolOutput.view("ClaimPage")` or
/// `Schema.view("Claim")` inside a larger object take the schema from the OpenAPI document's
/// components, and every component reached is bundled under `$defs` so the schema is
/// self-contained (MCP clients resolve `$ref` only within the schema).
public struct ToolOutput: Sendable {
    public let schema: Value

    init(root: Value) { schema = Self.bundle(root) }

    /// An API view, by its OpenAPI component name.
    public static func view(_ component: String) -> ToolOutput {
        ToolOutput(root: OpenAPISchemas.component(component) ?? .object(["type": "object", "description": .string("missing component \(component)")]))
    }

    /// An object of the given properties (use `Schema.view` for API views inside it).
    public static func object(_ properties: [String: Value], required: [String]) -> ToolOutput {
        ToolOutput(root: .object(["type": "object", "properties": .object(properties), "required": .array(required.sorted().map { .string($0) })]))
    }

    /// The outcome of a signing tool (`committed(_:extra:)`): the transaction, its height, fee
    /// and status, plus what the tool adds (all of `extra` is always present).
    public static func committed(_ extra: [String: Value] = [:]) -> ToolOutput {
        var properties: [String: Value] = [
            "transaction": Schema.hash("Transaction ID"), "height": Schema.integer("Block height it committed at"),
            "feePaid": Schema.integer("Fee paid (base units)"), "status": Schema.string("Transaction status (committed)"),
        ]
        for (k, v) in extra { properties[k] = v }
        return object(properties, required: Array(properties.keys))
    }

    /// The root with `$defs` holding every component it reaches.
    static func bundle(_ root: Value) -> Value {
        var defs: [String: Value] = [:]
        var pending = OpenAPISchemas.references(in: root)
        while let name = pending.popLast() {
            guard defs[name] == nil, let component = OpenAPISchemas.component(name) else { continue }
            defs[name] = component
            pending.append(contentsOf: OpenAPISchemas.references(in: component).filter { defs[$0] == nil })
        }
        guard case var .object(o) = root else { return root }
        if !defs.isEmpty { o["$defs"] = .object(defs) }
        return .object(o)
    }
}

/// The OpenAPI document's component schemas with their references rewritten to `#/$defs/NAME`.
enum OpenAPISchemas {
    static let definitionsPrefix = "#/$defs/"

    static let components: [String: Value] = {
        var out: [String: Value] = [:]
        for (name, data) in OpenAPIComponents.schemas {
            if let v = try? JSONDecoder().decode(Value.self, from: data) { out[name] = rewrite(v) }
        }
        return out
    }()

    static func component(_ name: String) -> Value? { components[name] }

    static func rewrite(_ v: Value) -> Value {
        switch v {
        case let .object(o):
            var r: [String: Value] = [:]
            for (k, x) in o {
                if k == "$ref", case let .string(s) = x, s.hasPrefix(OpenAPIComponents.referencePrefix) {
                    r[k] = .string(definitionsPrefix + s.dropFirst(OpenAPIComponents.referencePrefix.count))
                } else {
                    r[k] = rewrite(x)
                }
            }
            return .object(r)
        case let .array(a): return .array(a.map(rewrite))
        default: return v
        }
    }

    /// Component names referenced (`#/$defs/NAME`) anywhere in `v`, sorted.
    static func references(in v: Value) -> [String] {
        var found = Set<String>()
        func walk(_ v: Value) {
            switch v {
            case let .object(o):
                if case let .string(s)? = o["$ref"], s.hasPrefix(definitionsPrefix) { found.insert(String(s.dropFirst(definitionsPrefix.count))) }
                o.values.forEach(walk)
            case let .array(a): a.forEach(walk)
            default: break
            }
        }
        walk(v)
        return found.sorted()
    }
}

extension Schema {
    /// An API view inside a tool's output, by its OpenAPI component name.
    public static func view(_ component: String) -> Value { .object(["$ref": .string(OpenAPISchemas.definitionsPrefix + component)]) }

    /// A value that may be null.
    public static func nullable(_ schema: Value) -> Value { .object(["anyOf": [schema, .object(["type": "null"])]]) }
}
