import Foundation

/// The API's view schemas (`components.schemas` of the OpenAPI document) for other faces of the
/// node that return the same views: MCP tools declare their output schemas by naming these, so a
/// view's shape is written once, here, and checked by schemathesis (API) and by the MCP tests.
public enum OpenAPIComponents {
    /// The document's component schemas as JSON bytes, keyed by component name. Empty only if
    /// the document is not JSON, which `OpenAPITests` would already have failed on.
    public static let schemas: [String: Data] = {
        guard let doc = try? JSONSerialization.jsonObject(with: Data(OpenAPI.document.utf8)) as? [String: Any],
              let components = doc["components"] as? [String: Any], let schemas = components["schemas"] as? [String: Any] else { return [:] }
        var out: [String: Data] = [:]
        for (name, schema) in schemas {
            if let data = try? JSONSerialization.data(withJSONObject: schema, options: [.sortedKeys]) { out[name] = data }
        }
        return out
    }()

    /// How the document refers to a component: `#/components/schemas/NAME`.
    public static let referencePrefix = "#/components/schemas/"
}
