import AgoraAPI
import AgoraAPIModels
import AgoraClient
import AgoraCore
import AgoraCrypto
import AgoraState
import Foundation
import MCP
import Testing
@testable import AgoraMCP

/// MCP reads of accounts, claims, offers, tasks and intents say whether they were verified:
/// against a real `agora dev` node, a session with a light client (genesis root) gets
/// `verified: true` with what was proven, a session without one `verified: false`; `prove: true`
/// attaches the node's proof; a refused verification is the tool's error with the light
/// client's code, never an unverified value.
@Suite("MCP verified reads", .serialized)
struct MCPVerifiedReadTests {
    static func object(_ result: CallTool.Result) -> [String: Value] {
        if case let .object(o)? = result.structuredContent { return o }
        return [:]
    }

    static func text(_ o: [String: Value], _ key: String) -> String {
        if case let .string(s)? = o[key] { return s }
        return ""
    }

    static func verifier(genesis path: String, gateway: NodeGateway, period: TrustingPeriod? = .default) async throws -> StateVerifier {
        let genesis = try Genesis.load(path: path).resolve()
        let source = NodeLightSource(gateway: gateway)
        let client = try await LightClient(root: .genesis(chainID: genesis.chainID, validators: genesis.validatorSet, genesisTime: genesis.genesisTime),
                                           source: source, trustingPeriod: period)
        return StateVerifier(client: client, source: source)
    }

    /// Calls a read tool and checks its result against its schema.
    static func read(_ name: String, _ args: [String: Value], _ session: AgentSession) async throws -> [String: Value] {
        let tool = try #require(ToolCatalog.byName[name])
        let result = try await ToolCatalog.call(name, arguments: args, session: session)
        let out = object(result)
        #expect(result.isError != true, "\(name): \(ToolCatalog.render(result.structuredContent ?? .null))")
        #expect(SchemaConformance.violations(.object(out), tool.output.schema).isEmpty, "\(name): \(SchemaConformance.violations(.object(out), tool.output.schema))")
        return out
    }

    @Test("reads are verified with a trust root, unverified without, refused when trust expired")
    func readsReportVerification() async throws {
        let dir = try temporaryDirectory("mcp-verified")
        let node = try AgoraProcess(["dev", "--data-dir", dir + "/data", "--http", "127.0.0.1:0", "--block-interval-ms", "100",
                                     "--log-level", "warning"], logDir: dir)
        let gateway = NodeGateway(base: try await node.apiURL())
        let dev = try AgentKeyring.load(directory: dir + "/data/keys", password: nil).agent(named: "dev")
        try FileManager.default.createDirectory(atPath: dir + "/secrets", withIntermediateDirectories: true)
        let writer = AgentSession(gateway: gateway, agent: dev, sender: TransactionSender(key: dev.key, gateway: gateway), secretsDirectory: dir + "/secrets")
        let group = Self.text(Self.object(try await ToolCatalog.call("create_group", arguments: ["name": "verified"], session: writer)), "group")
        let claim = Self.text(Self.object(try await ToolCatalog.call("publish_claim", arguments: ["group": .string(group), "text": "proven"], session: writer)), "claim")
        let task = Self.text(Self.object(try await ToolCatalog.call("create_task", arguments: ["group": .string(group), "title": "t"], session: writer)), "task")
        let offer = Self.text(Self.object(try await ToolCatalog.call("market_offer", arguments: [
            "content": "c", "title": "o", "price": 5, "bond": 1, "deliveryWindowMs": 60_000, "disputeWindowMs": 60_000], session: writer)), "offer")
        let intent = Self.text(Self.object(try await ToolCatalog.call("post_intent", arguments: [
            "group": .string(group), "kind": "request", "text": "need a review"], session: writer)), "intent")
        for id in [group, claim, task, offer, intent] { #expect(id.count == 64, "setup failed: \(id)") }
        let reads: [(String, [String: Value], StateKey)] = [
            ("get_balance", [:], BankKeys.account(dev.key.address)),
            ("get_claim", ["claim": .string(claim)], GroupKeys.claim(Hash(hex: claim)!)),
            ("get_task", ["task": .string(task)], TaskKeys.task(Hash(hex: task)!)),
            ("get_offer", ["offer": .string(offer)], MarketKeys.offer(Hash(hex: offer)!)),
            ("get_intent", ["intent": .string(intent)], IntentKeys.intent(Hash(hex: intent)!)),
        ]

        var verifying = writer
        verifying.verifier = try await Self.verifier(genesis: dir + "/data/genesis.json", gateway: gateway)
        for (name, args, key) in reads {
            let plain = try await Self.read(name, args, writer)
            #expect(plain["verified"] == .bool(false) && plain["verification"] == nil && plain["proof"] == nil, "\(name): \(plain)")
            let attached = try await Self.read(name, args.merging(["prove": true]) { a, _ in a }, writer)
            #expect(attached["verified"] == .bool(false), "\(name)")
            guard case let .object(proof)? = attached["proof"] else { Issue.record("\(name): prove: true attached no proof"); continue }
            #expect(proof["key"] == .string(Hex.encode(key.bytes)), "\(name)")

            let proven = try await Self.read(name, args, verifying)
            #expect(proven["verified"] == .bool(true), "\(name): \(proven)")
            guard case let .object(v)? = proven["verification"] else { Issue.record("\(name): no verification"); continue }
            #expect(v["key"] == .string(Hex.encode(key.bytes)), "\(name)")
            if case .string = v["value"] {} else { Issue.record("\(name): the record is proven absent: \(v)") }
            #expect(proven["proof"] == nil, "\(name): proof attached without prove: true")
        }
        let me = try await Self.read("whoami", [:], verifying)
        #expect(me["verified"] == .bool(true))

        // The account's figures are the proven value's.
        let balance = try await Self.read("get_balance", [:], verifying)
        let verification = try #require(balance["verification"]?.objectValue)
        let accountBytes = try #require(Hex.decode(Self.text(verification, "value")))
        let account = try Account(canonicalBytes: accountBytes)
        #expect(balance["balance"] == .int(Int(account.balance.units)) && balance["nonce"] == .int(Int(account.nonce)))

        // Trust older than the period: the read is refused with the light client's code.
        var expired = writer
        expired.verifier = try await Self.verifier(genesis: dir + "/data/genesis.json", gateway: gateway, period: TrustingPeriod(milliseconds: 1)!)
        let refused = try await ToolCatalog.call("get_claim", arguments: ["claim": .string(claim)], session: expired)
        #expect(refused.isError == true)
        #expect(ToolCatalog.render(refused.structuredContent ?? .null).contains("\"code\":\"trust_expired\""), "\(ToolCatalog.render(refused.structuredContent ?? .null))")

        // An answer whose value was changed (a lying node) is refused by the verifier.
        let answer = try await gateway.get("/api/v1/claims/\(claim)?prove=true", as: API.ClaimView.self)
        var lie = try #require(answer.proof)
        lie.value = Hex.encode(Array("forged".utf8))
        let checker = try await Self.verifier(genesis: dir + "/data/genesis.json", gateway: gateway)
        await #expect(throws: LightClientError.self) { try await checker.verify(lie, key: GroupKeys.claim(Hash(hex: claim)!).bytes) }

        // A true proof beside a false JSON field (a lying node): the proof verifies, the field
        // checked against the proven bytes does not — value_mismatch, as the CLI and MCP report.
        let offerID = try #require(Hash(hex: offer))
        var offerAnswer = try await gateway.get("/api/v1/market/offers/\(offer)?prove=true", as: API.OfferView.self)
        let provenOffer = try await checker.verify(try #require(offerAnswer.proof), key: MarketKeys.offer(offerID).bytes)
        #expect(try ProvenRecordFields.offer(offerAnswer, id: offerID, value: provenOffer.value) == ProvenRecordFields.offerUnproven)
        offerAnswer.price += 1
        #expect(throws: ProvenRecordFields.Refusal.valueMismatch(field: "price", node: "6", proven: "5")) {
            try ProvenRecordFields.offer(offerAnswer, id: offerID, value: provenOffer.value)
        }
        node.signal(SIGTERM)
        _ = try? await node.wait(timeout: 30)
    }
}
