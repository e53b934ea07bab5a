import AgoraCore
import Testing

@testable import AgoraAPI

/// The WebSocket filter's module names: every ledger module publishes events under its own name
/// (and presence under "presence"), so each must be accepted; "intents" once was not.
@Suite("Event stream filter")
struct EventFilterTests {
    static func subscribe(_ modules: [String]) throws -> Bool {
        let message = EventsEndpoint.ClientMessage(op: "subscribe", blocks: nil, transactions: nil, accounts: nil, modules: modules, since: nil)
        return try EventsEndpoint.parseFilter(message).modules == Set(modules)
    }

    @Test("every ledger module and presence can be subscribed to, alone and together")
    func everyModuleAccepted() throws {
        let all = LedgerModule.allCases.map(\.rawValue) + ["presence"]
        for module in all {
            #expect(try Self.subscribe([module]), "module \(module) refused")
        }
        #expect(try Self.subscribe(all))
        #expect(try Self.subscribe(["intents"]))
    }

    @Test("an unknown module is refused with the known ones named")
    func unknownRefused() {
        #expect(throws: EventsEndpoint.FilterError.self) { try Self.subscribe(["nope"]) }
    }
}
