// agora.json that is not JSON, not an object nested by key, or holds a wrong type is refused
// naming the file, the line and column, the key and the shape expected.

import Foundation
import Testing
@testable import AgoraNode

@Suite("Settings file errors")
struct SettingsFileTests {
    func dir(_ text: String) throws -> DataDirectory {
        let d = DataDirectory(NSTemporaryDirectory() + "agora-settings-\(UUID().uuidString)")
        try d.create()
        try Data(text.utf8).write(to: URL(fileURLWithPath: d.settingsFile))
        return d
    }

    func failure(_ text: String) async throws -> SettingsFileError? {
        try await failure(in: try dir(text))
    }

    func failure(in d: DataDirectory) async throws -> SettingsFileError? {
        do {
            _ = try await NodeConfig.load(dataDir: d, environment: [:])
            return nil
        } catch let e as SettingsFileError {
            return e
        }
    }

    @Test("garbage names the file, the line and column where parsing stopped, and the expected shape")
    func garbage() async throws {
        let text = "{\n  \"chain\": {\"id\": \"t\"},\n  \"http\": {\"address\": 127.0.0.1:8645}\n}\n"
        let d = try dir(text)
        let error = try #require(await failure(in: d))
        guard case let .syntax(path, line, column, _) = error else {
            Issue.record("expected a syntax error, got \(error)")
            return
        }
        #expect(path == d.settingsFile)
        #expect(line == 3)
        // The parser stops inside 127.0.0.1 (at its second dot, or at its start); either is on line 3, past the key.
        #expect(column >= 15)
        #expect(error.description.contains("agora.json:3:"))
        #expect(error.description.contains("expected a JSON object nested by key"))
    }

    @Test("an empty or truncated file points at its end")
    func truncated() async throws {
        let error = try #require(await failure("{\n  \"chain\": {\"id\": \"t\"\n"))
        guard case let .syntax(_, line, _, _) = error else {
            Issue.record("expected a syntax error, got \(error)")
            return
        }
        #expect(line >= 2)
        let empty = try #require(await failure(""))
        if case .syntax = empty {} else { Issue.record("expected a syntax error for an empty file, got \(empty)") }
    }

    @Test("a top level that is not an object, and a section that is not one, name what was found")
    func shapes() async throws {
        let list = try dir("[1, 2]")
        #expect(try await failure(in: list) == .notAnObject(path: list.settingsFile, found: "a list"))
        let error = try #require(await failure(#"{"chain": {"id": "t"}, "http": 5}"#))
        guard case let .notASection(_, key, found) = error else {
            Issue.record("expected notASection, got \(error)")
            return
        }
        #expect(key == "http")
        #expect(found == "an integer (5)")
    }

    @Test("a wrong type names the key, the expected type and what was found")
    func wrongTypes() async throws {
        let cases: [(String, String, String)] = [
            (#"{"http": {"maxBodyBytes": "big"}}"#, "http.maxBodyBytes", "an integer"),
            (#"{"block": {"createEmpty": "yes"}}"#, "block.createEmpty", "true or false"),
            (#"{"http": {"rateLimit": {"perSecond": true}}}"#, "http.rateLimit.perSecond", "a number"),
            (#"{"p2p": {"peers": "127.0.0.1:1"}}"#, "p2p.peers", "a list of strings"),
            (#"{"chain": {"id": 7}}"#, "chain.id", "a string"),
        ]
        for (text, key, expected) in cases {
            let error = try #require(await failure(text), "\(text)")
            guard case let .wrongType(_, k, e, _) = error else {
                Issue.record("expected wrongType for \(text), got \(error)")
                continue
            }
            #expect(k == key)
            #expect(e == expected)
            #expect(error.description.contains("agora.json"))
        }
    }

    @Test("a valid file still loads (integers are numbers too)")
    func validFileLoads() async throws {
        let d = try dir(#"{"chain": {"id": "cfg-test"}, "validator": {"key": "/k.json"}, "http": {"rateLimit": {"perSecond": 7}}}"#)
        let c = try await NodeConfig.load(dataDir: d, environment: [:])
        #expect(c.rateLimitPerSecond == 7)
    }
}
