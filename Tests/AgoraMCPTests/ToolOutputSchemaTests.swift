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
        #expect(SchemaConformance.violations(out, schema).isEmpty, "\(SchemaConformance.violations(out, schema))")
        // And the check can fail: a missing field, a wrong type, a bad pattern are each named.
        guard case var .object(o) = out else { return }
        o["claim"] = nil
        #expect(SchemaConformance.violations(.object(o), schema).contains { $0.contains("claim") })
        o["claim"] = "not hex"
        o["height"] = "five"
        let found = SchemaConformance.violations(.object(o), schema)
        #expect(found.contains { $0.contains("$.claim") } && found.contains { $0.contains("$.height") }, "\(found)")
    }

    @Test func whoamiWithoutAnIdentityConformsToItsSchema() async throws {
        let session = AgentSession(gateway: NodeGateway(base: "http://127.0.0.1:9"), agent: nil, sender: nil)
        let result = try await ToolCatalog.call("whoami", arguments: nil, session: session)
        let out = try #require(result.structuredContent)
        let schema = try #require(ToolCatalog.byName["whoami"]?.output.schema)
        #expect(result.isError == false)
        #expect(SchemaConformance.violations(out, schema).isEmpty)
        // The same JSON is the text content.
        guard case let .text(text, _, _)? = result.content.first else { Issue.record("no text"); return }
        #expect(try JSONDecoder().decode(Value.self, from: Data(text.utf8)) == out)
    }
}

