// SettingsFile: `agora.json` read and checked before the layered reader sees it, so that a file
// that is not JSON, not an object nested by key, or holds a value of the wrong type is refused
// naming the file, the line and column, the key and the shape expected — instead of
// Foundation's "The data is not in the correct format." or a bare "must be an integer".

import Configuration
import Foundation

/// What is wrong with the settings file; every case names the file.
public enum SettingsFileError: Error, Equatable, CustomStringConvertible, Sendable {
    case unreadable(path: String, reason: String)
    /// Not JSON: where the parser stopped (1-based line and column, in characters) and why.
    case syntax(path: String, line: Int, column: Int, reason: String)
    /// Valid JSON whose top level is not an object.
    case notAnObject(path: String, found: String)
    /// A key whose settings must be an object (`http` in `http.address`) holds something else.
    case notASection(path: String, key: String, found: String)
    /// A setting of the wrong type.
    case wrongType(path: String, key: String, expected: String, found: String)

    static let shape = #"a JSON object nested by key, e.g. {"http": {"address": "127.0.0.1:8645"}}"#

    public var description: String {
        switch self {
        case let .unreadable(path, reason): return "settings file \(path): cannot be read: \(reason)"
        case let .syntax(path, line, column, reason):
            return "settings file \(path):\(line):\(column): not valid JSON (\(reason)); expected \(Self.shape)"
        case let .notAnObject(path, found): return "settings file \(path): the top level is \(found); expected \(Self.shape)"
        case let .notASection(path, key, found):
            return "settings file \(path): \"\(key)\" is \(found); expected an object of \(key).* settings"
        case let .wrongType(path, key, expected, found): return "settings file \(path): \(key) is \(found); expected \(expected)"
        }
    }
}

/// The settings file's JSON, as far as the checks need it.
indirect enum SettingsValue: Decodable, Equatable {
    case object([String: SettingsValue]), array([SettingsValue]), string(String), integer(Int), number(Double), bool(Bool), null

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null } else if let v = try? c.decode(Bool.self) { self = .bool(v) }
        else if let v = try? c.decode(Int.self) { self = .integer(v) } else if let v = try? c.decode(Double.self) { self = .number(v) }
        else if let v = try? c.decode(String.self) { self = .string(v) } else if let v = try? c.decode([SettingsValue].self) { self = .array(v) }
        else { self = .object(try c.decode([String: SettingsValue].self)) }
    }

    /// How an error message names what was found.
    var kind: String {
        switch self {
        case .object: return "an object"
        case .array: return "a list"
        case let .string(s): return "a string (\"\(s.prefix(40))\")"
        case let .integer(i): return "an integer (\(i))"
        case let .number(d): return "a number (\(d))"
        case let .bool(b): return "a boolean (\(b))"
        case .null: return "null"
        }
    }
}

enum SettingsFile {
    /// Parses `path` and checks every known key's type; a missing file is for the caller.
    static func check(path: String, keys: [NodeConfig.Key]) throws(SettingsFileError) {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw .unreadable(path: path, reason: (error as NSError).localizedDescription)
        }
        let root = try parse(data, path: path)
        guard case let .object(top) = root else { throw .notAnObject(path: path, found: root.kind) }
        for key in keys { try checkType(key, in: top, path: path) }
    }

    static func parse(_ data: Data, path: String) throws(SettingsFileError) -> SettingsValue {
        do {
            _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            let (index, reason) = position(of: error as NSError, dataCount: data.count)
            let (line, column) = lineAndColumn(data, index)
            throw .syntax(path: path, line: line, column: column, reason: reason)
        }
        do { return try JSONDecoder().decode(SettingsValue.self, from: data) } catch {
            throw .syntax(path: path, line: 1, column: 1, reason: "not valid JSON")
        }
    }

    /// The byte index the parser stopped at and its reason without the index: Darwin puts the
    /// index in `NSJSONSerializationErrorIndex`, swift-corelibs-foundation only in the text
    /// ("Invalid value around character 19."); an early end of input is the end of the data.
    static func position(of error: NSError, dataCount: Int) -> (Int, String) {
        let text = error.userInfo[NSDebugDescriptionErrorKey] as? String ?? error.localizedDescription
        let reason = text.replacingOccurrences(of: #"\s*around (line \d+, column \d+|character \d+)\.?"#, with: "", options: .regularExpression)
            .trimmingCharacters(in: CharacterSet(charactersIn: ". "))
        if let index = error.userInfo["NSJSONSerializationErrorIndex"] as? Int { return (index, reason) }
        if let range = text.range(of: #"character \d+"#, options: .regularExpression),
           let index = Int(text[range].dropFirst("character ".count)) {
            return (index, reason)
        }
        return (dataCount, reason.isEmpty ? "unexpected end of file" : reason)
    }

    /// 1-based line and column (in characters) of byte `index`.
    static func lineAndColumn(_ data: Data, _ index: Int) -> (Int, Int) {
        let prefix = data.prefix(max(0, min(index, data.count)))
        let lines = prefix.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        let last = lines.last ?? Data()[...]
        return (lines.count, String(decoding: last, as: UTF8.self).count + 1)
    }

    static func checkType(_ key: NodeConfig.Key, in top: [String: SettingsValue], path: String) throws(SettingsFileError) {
        let parts = key.name.split(separator: ".").map(String.init)
        var level = top
        for (i, part) in parts.dropLast().enumerated() {
            guard let next = level[part] else { return }
            guard case let .object(inner) = next else {
                throw .notASection(path: path, key: parts[...i].joined(separator: "."), found: next.kind)
            }
            level = inner
        }
        guard let value = level[parts[parts.count - 1]] else { return }
        let expected = Expected(key.defaultValue)
        guard expected.matches(value) else { throw .wrongType(path: path, key: key.name, expected: expected.rawValue, found: value.kind) }
    }

    /// What a key's value must be, by the type of its default (keys without one are strings).
    enum Expected: String {
        case integer = "an integer", number = "a number", bool = "true or false", strings = "a list of strings", string = "a string"

        init(_ defaultValue: ConfigContent?) {
            switch defaultValue {
            case .int?: self = .integer
            case .double?: self = .number
            case .bool?: self = .bool
            case .stringArray?: self = .strings
            default: self = .string
            }
        }

        func matches(_ value: SettingsValue) -> Bool {
            switch (self, value) {
            case (.integer, .integer), (.number, .integer), (.number, .number), (.bool, .bool), (.string, .string): return true
            case let (.strings, .array(items)): return items.allSatisfy { if case .string = $0 { true } else { false } }
            default: return false
            }
        }
    }
}
