import AgoraClient
import AgoraCore
import MCP
import Testing
@testable import AgoraMCP

@Suite struct ToolArgumentsTests {
    @Test func typedAccessorsNameTheArgumentThatIsWrong() throws {
        let args = ToolArguments(["amount": "12", "to": "nobody", "limit": 0, "tags": ["ok", 3]])
        #expect(throws: ToolError.wrongType(argument: "amount", expected: "an integer")) { try args.amount("amount") }
        #expect(throws: ToolError.invalidArgument(argument: "to", reason: "\"nobody\" \(AddressError.missingSeparator)")) { try args.address("to") }
        #expect(throws: ToolError.invalidArgument(argument: "limit", reason: "0 is outside 1…500")) { try args.optionalInteger("limit", in: 1...500) }
        #expect(throws: ToolError.wrongType(argument: "tags[1]", expected: "a string")) {
            try args.optionalStringArray("tags", maxCount: 8, maxBytes: 32)
        }
        #expect(throws: ToolError.missingArgument("group")) { try args.hash("group") }
    }

    @Test func aMistypedOrOldFormatAddressIsAnInvalidArgumentNamingTheFault() throws {
        let good = Address(raw: [UInt8](repeating: 9, count: 20))
        var typo = Array(good.description)
        typo[30] = typo[30] == "q" ? "p" : "q"
        let legacy = "ag1" + Hex.encode(good.bytes)
        let args = ToolArguments(["typo": .string(String(typo)), "legacy": .string(legacy), "good": .string(good.description)])
        #expect(throws: ToolError.invalidArgument(argument: "typo", reason: "\"\(String(typo))\" \(AddressError.badChecksum)")) { try args.address("typo") }
        #expect(throws: ToolError.invalidArgument(argument: "legacy", reason: "\"\(legacy)\" \(AddressError.legacyHex)")) { try args.address("legacy") }
        #expect(try args.address("good") == good)
        #expect(ToolError.invalidArgument(argument: "typo", reason: "").code == "invalid_argument")
    }

    @Test func unreadArgumentsAreRefusedSoATypoIsNotIgnored() {
        let args = ToolArguments(["group": .string(String(repeating: "a", count: 64)), "sincee": 5])
        #expect(throws: ToolError.unknownArgument("sincee")) { try args.finish(consumed: ["group", "since"]) }
    }

    @Test func sizeLimitsAreCheckedInBytes() {
        let args = ToolArguments(["text": .string(String(repeating: "é", count: 5))])
        #expect(throws: ToolError.invalidArgument(argument: "text", reason: "10 bytes, at most 8 allowed")) { try args.string("text", maxBytes: 8) }
    }

    @Test func amountsAreWholePositiveBaseUnits() throws {
        #expect(try ToolArguments(["a": 5]).amount("a") == Amount(5)!)
        #expect(try ToolArguments(["a": 5.0]).amount("a") == Amount(5)!)
        #expect(throws: ToolError.wrongType(argument: "a", expected: "an integer")) { try ToolArguments(["a": 5.5]).amount("a") }
        #expect(throws: ToolError.invalidArgument(argument: "a", reason: "0 is outside 1…\(Int64.max)")) { try ToolArguments(["a": 0]).amount("a") }
        #expect(throws: ToolError.invalidArgument(argument: "a", reason: "-3 is outside 1…\(Int64.max)")) { try ToolArguments(["a": -3]).amount("a") }
    }

    @Test func nullCountsAsAbsent() throws {
        #expect(try ToolArguments(["memo": .null]).optionalString("memo", maxBytes: 10) == nil)
    }
}

/// Dispatch through the catalogue, without a node: the checks that run before any request.
@Suite struct ToolCatalogDispatchTests {
    // Port 9 (discard): these calls must fail before reaching a node.
    let session = AgentSession(gateway: NodeGateway(base: "http://127.0.0.1:9"), agent: nil, sender: nil)

    @Test func aMisspeltArgumentIsReportedAsUnknownBeforeTheRequiredOneIsMissed() async throws {
        let result = try await ToolCatalog.call("get_group", arguments: ["grop": .string(String(repeating: "a", count: 64))], session: session)
        #expect(result.isError == true)
        guard case let .object(o)? = result.structuredContent, case let .object(error)? = o["error"] else {
            Issue.record("no error object in \(String(describing: result.structuredContent))"); return
        }
        #expect(error["code"] == .string("unknown_argument"))
        guard case let .string(message)? = error["message"] else { Issue.record("no message"); return }
        #expect(message.contains("\"grop\""))
    }
}

@Suite struct NodeBusyToolErrorTests {
    @Test("a node answering 503 or 429 with Retry-After becomes the typed nodeBusy tool error naming the wait")
    func busyIsTyped() {
        let busy = NodeGateway.Failure.busy(status: 503, code: "mempool_busy", message: "the mempool holds 5 ready transactions", retryAfter: 3)
        let e = ToolCatalog.toolError(busy)
        #expect(e == .nodeBusy(code: "mempool_busy", retryAfter: 3, message: "the mempool holds 5 ready transactions"))
        #expect(e.code == "mempool_busy")
        #expect(e.description.contains("retry after 3 s"))
        // Without Retry-After a refusal stays a plain refusal.
        #expect(ToolCatalog.toolError(NodeGateway.Failure.refused(status: 503, code: "mempool_full", message: "m"))
            == .nodeRefused(code: "mempool_full", message: "m"))
    }
}
