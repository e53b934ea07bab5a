import Foundation
import MCP

/// Whether a value conforms to a tool's output schema: the JSON Schema keywords the output
/// schemas use (type, enum, required, properties, additionalProperties: false, items, anyOf,
/// oneOf, `$ref` into `$defs`, pattern, minimum, maximum, minLength, maxLength, maxItems). The
/// tests hold every tool's real results to its declaration with it; the e2e tests do the same
/// with Python's `jsonschema`, so the two checkers keep each other honest.
public enum SchemaConformance {
    /// Every violation, each naming the path (`$.items[0].id`) and the rule; empty when it conforms.
    public static func violations(_ value: Value, _ schema: Value) -> [String] {
        var defs: [String: Value] = [:]
        if case let .object(o) = schema, case let .object(d)? = o["$defs"] { defs = d }
        var out: [String] = []
        check(value, schema, "$", defs, &out)
        return out
    }

    static func check(_ v: Value, _ schema: Value, _ path: String, _ defs: [String: Value], _ out: inout [String]) {
        guard case let .object(s) = schema else { return }
        if case let .string(ref)? = s["$ref"] {
            guard ref.hasPrefix(OpenAPISchemas.definitionsPrefix), let target = defs[String(ref.dropFirst(OpenAPISchemas.definitionsPrefix.count))] else {
                out.append("\(path): unresolved \(ref)")
                return
            }
            check(v, target, path, defs, &out)
        }
        for key in ["anyOf", "oneOf"] {
            guard case let .array(options)? = s[key] else { continue }
            let passing = options.filter { option in var o: [String] = []; check(v, option, path, defs, &o); return o.isEmpty }.count
            if passing == 0 || (key == "oneOf" && passing > 1) { out.append("\(path): matches \(passing) of \(key)") }
        }
        if let t = s["type"], !matches(v, t) { out.append("\(path): \(brief(v)) is not \(brief(t))") }
        if case let .array(e)? = s["enum"], !e.contains(v) { out.append("\(path): \(brief(v)) is not one of \(brief(.array(e)))") }
        checkScalar(v, s, path, &out)
        if case let .object(o) = v { checkObject(o, s, path, defs, &out) }
        if case let .array(items) = v {
            if case let .int(max)? = s["maxItems"], items.count > max { out.append("\(path): \(items.count) items, at most \(max)") }
            if let itemSchema = s["items"] {
                for (i, x) in items.enumerated() { check(x, itemSchema, "\(path)[\(i)]", defs, &out) }
            }
        }
    }

    private static func checkObject(_ o: [String: Value], _ s: [String: Value], _ path: String, _ defs: [String: Value], _ out: inout [String]) {
        if case let .array(required)? = s["required"] {
            for case let .string(r) in required where o[r] == nil { out.append("\(path): missing \"\(r)\"") }
        }
        var props: [String: Value] = [:]
        if case let .object(p)? = s["properties"] { props = p }
        for (k, x) in o.sorted(by: { $0.key < $1.key }) {
            if let p = props[k] { check(x, p, path + "." + k, defs, &out) } else if s["additionalProperties"] == false {
                out.append("\(path): \"\(k)\" is not allowed")
            }
        }
    }

    private static func checkScalar(_ v: Value, _ s: [String: Value], _ path: String, _ out: inout [String]) {
        switch v {
        case let .string(text):
            if case let .string(pattern)? = s["pattern"], text.range(of: pattern, options: .regularExpression) == nil {
                out.append("\(path): \"\(text.prefix(80))\" does not match \(pattern)")
            }
            if case let .int(max)? = s["maxLength"], text.count > max { out.append("\(path): longer than \(max)") }
            if case let .int(min)? = s["minLength"], text.count < min { out.append("\(path): shorter than \(min)") }
        case let .int(n):
            if case let .int(min)? = s["minimum"], n < min { out.append("\(path): \(n) < minimum \(min)") }
            if case let .int(max)? = s["maximum"], n > max { out.append("\(path): \(n) > maximum \(max)") }
        default: break
        }
    }

    static func matches(_ v: Value, _ type: Value) -> Bool {
        if case let .array(types) = type { return types.contains { matches(v, $0) } }
        guard case let .string(t) = type else { return true }
        switch (t, v) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("null", .null), ("integer", .int): return true
        case ("number", .int), ("number", .double): return true
        case let ("integer", .double(d)): return d.rounded() == d
        default: return false
        }
    }

    private static func brief(_ v: Value) -> String { String(ToolCatalog.render(v).prefix(100)) }
}
