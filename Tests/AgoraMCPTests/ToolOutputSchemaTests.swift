import AgoraAPIModels
import AgoraClient
import Foundation
import MCP
import Testing
@testable import AgoraMCP

/// Every tool's declaration: a title, annotations, and an output schema that is a
/// self-contained JSON Schema object (every `$ref` resolves inside it) — and the results tools
/// build locally conform to it. Results that come from a node (API views) are checked against
/// the same schemas by Tests/e2e/test_mcp.py, for every tool, with `jsonschema`.
@Suite struct ToolOutputSchemaTests {
    @Test func everyToolDeclaresATitleAnnotationsAndASelfContainedObjectOutputSchema() throws {
        for tool in ToolCatalog.tools {
            let d = tool.definition
            #expect(d.title?.isEmpty == false, "\(d.name)")
            #expect(d.annotations.readOnlyHint != nil && d.annotations.destructiveHint != nil && d.annotations.idempotentHint != nil, "\(d.name)")
            guard case let .object(schema)? = d.outputSchema else { Issue.record("\(d.name) has no output schema"); continue }
            #expect(schema["type"] == "object", "\(d.name)")
            var defs: [String: Value] = [:]
            if case let .object(o)? = schema["$defs"] { defs = o }
            for name in OpenAPISchemas.references(in: .object(schema)) {
                #expect(defs[name] != nil, "\(d.name): $ref \(name) does not resolve")
            }
        }
    }

    @Test func readOnlyToolsAreNeverDestructiveAndNamesAreUnique() {
        #expect(Set(ToolCatalog.tools.map(\.definition.name)).count == ToolCatalog.tools.count)
        for tool in ToolCatalog.tools where tool.definition.annotations.readOnlyHint == true {
            #expect(tool.definition.annotations.destructiveHint == false, "\(tool.definition.name)")
        }
    }

    @Test func aSigningToolsOutcomeConformsToItsDeclaredSchema() throws {
        let status = try JSONDecoder().decode(API.TransactionStatusView.self, from: Data(
            #"{"id":"\#(String(repeating: "ab", count: 32))","status":"committed","height":5,"feePaid":10}"#.utf8))
        let out = committed(status, extra: ["claim": .string(String(repeating: "cd", count: 32)), "tags": ["a", "b"]])
        let schema = try #require(ToolCatalog.byName["publish_claim"]?.output.schema)
        #expect(SchemaCheck.violations(out, schema).isEmpty, "\(SchemaCheck.violations(out, schema))")
        // And the check can fail: a missing field is named.
        guard case var .object(o) = out else { return }
        o["claim"] = nil
        #expect(SchemaCheck.violations(.object(o), schema).contains { $0.contains("claim") })
    }

    @Test func whoamiWithoutAnIdentityConformsToItsSchema() async throws {
        let session = AgentSession(gateway: NodeGateway(base: "http://127.0.0.1:9"), agent: nil, sender: nil)
        let result = try await ToolCatalog.call("whoami", arguments: nil, session: session)
        let out = try #require(result.structuredContent)
        let schema = try #require(ToolCatalog.byName["whoami"]?.output.schema)
        #expect(result.isError == false)
        #expect(SchemaCheck.violations(out, schema).isEmpty)
        // The same JSON is the text content.
        guard case let .text(text, _, _)? = result.content.first else { Issue.record("no text"); return }
        #expect(try JSONDecoder().decode(Value.self, from: Data(text.utf8)) == out)
    }
}

/// A small JSON Schema checker for the keywords the output schemas use (type, properties,
/// required, items, enum, anyOf, $ref into $defs, minimum, maxItems).
enum SchemaCheck {
    static func violations(_ v: Value, _ schema: Value) -> [String] {
        var defs: [String: Value] = [:]
        if case let .object(o) = schema, case let .object(d)? = o["$defs"] { defs = d }
        var out: [String] = []
        check(v, schema, "$", defs, &out)
        return out
    }

    static func check(_ v: Value, _ schema: Value, _ path: String, _ defs: [String: Value], _ out: inout [String]) {
        guard case let .object(s) = schema else { return }
        if case let .string(ref)? = s["$ref"] {
            guard let target = defs[String(ref.dropFirst(OpenAPISchemas.definitionsPrefix.count))] else { out.append("\(path): unresolved \(ref)"); return }
            check(v, target, path, defs, &out)
        }
        if case let .array(options)? = s["anyOf"] {
            if !options.contains(where: { option in var o: [String] = []; check(v, option, path, defs, &o); return o.isEmpty }) { out.append("\(path): matches no anyOf") }
        }
        if let t = s["type"], !matches(v, t) { out.append("\(path): \(v) is not \(t)") }
        if case let .array(e)? = s["enum"], !e.contains(v) { out.append("\(path): \(v) not in enum") }
        if case let .object(o) = v {
            if case let .array(required)? = s["required"] {
                for case let .string(r) in required where o[r] == nil { out.append("\(path): missing \(r)") }
            }
            if case let .object(props)? = s["properties"] {
                for (k, x) in o { if let p = props[k] { check(x, p, path + "." + k, defs, &out) } }
            }
        }
        if case let .array(items) = v, let itemSchema = s["items"] {
            for (i, x) in items.enumerated() { check(x, itemSchema, "\(path)[\(i)]", defs, &out) }
        }
    }

    static func matches(_ v: Value, _ type: Value) -> Bool {
        if case let .array(types) = type { return types.contains { matches(v, $0) } }
        guard case let .string(t) = type else { return true }
        switch (t, v) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("null", .null), ("integer", .int): return true
        case ("number", .int), ("number", .double): return true
        default: return false
        }
    }
}
