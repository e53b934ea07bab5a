import AgoraAPI
import AgoraAPIModels
import AgoraCore
import AgoraState
import Testing

/// A verified read checks the node's JSON against the proven state bytes: the view a node builds
/// from a record passes, and a node that changes any checked field (a true proof beside a false
/// rendering) is refused with `value_mismatch` naming that field.
@Suite("Proven record fields")
struct ProvenRecordFieldsTests {
    static func hash(_ s: String) -> Hash { Hash.sha256(Array(s.utf8)) }
    static func address(_ s: String) -> Address { Address(raw: hash(s).bytes.prefix(20)) }
    static let id = hash("record")
    static let group = hash("group")

    static let offer = OfferRecord(
        seller: address("seller"),
        terms: OfferTerms(title: "a dataset", artifact: ArtifactRef(sha256: hash("artifact"), size: 4_096), plaintextSHA256: hash("plain"),
                          keyCommitment: hash("key"), price: Amount(250)!, bond: Amount(40)!, expiresAt: 900, deliveryWindowMs: 60_000,
                          disputeWindowMs: 120_000, group: group),
        createdAt: 12, status: .open, bondHeld: Amount(40)!, openPurchases: 1, purchases: 3, sales: 2)
    static let task = TaskRecord(group: group, creator: address("creator"), assignee: address("worker"), state: .inProgress,
                                 reward: Amount(500)!, fee: Amount(5)!, deadline: 77, createdAt: 20, updatedAt: 25)
    static let intent = IntentRecord(group: group, author: address("author"), kind: .request, bond: Amount(9)!, deadline: 0, height: 31,
                                     status: .matched, settlement: hash("settlement"))
    static let claim = ClaimRecord(group: group, author: address("author"), height: 44)

    static func offerView() -> API.OfferView { API.OfferView(id, offer) }
    static func taskView() -> API.TaskView {
        API.TaskView(id: id.hex, group: group.hex, creator: task.creator.description, title: "t", description: "d", reward: 500, deadline: 77,
                     artifacts: [], assignee: task.assignee?.description, state: task.state.name, overdue: false, height: 20,
                     createdTime: 1, updatedTime: 2, transaction: hash("tx").hex)
    }
    static func intentView() -> API.IntentView {
        API.IntentView(id: id.hex, group: group.hex, author: intent.author.description, kind: intent.kind.name, text: "want", terms: "",
                       deadline: nil, bond: 9, status: intent.status.name, settlement: hash("settlement").hex, height: 31, transaction: hash("tx").hex)
    }
    static func claimView() -> API.ClaimView {
        API.ClaimView(id: id.hex, group: group.hex, author: claim.author.description, text: "the sky is blue", tags: [], root: id.hex,
                      artifacts: [], height: 44, index: 0, time: 5, transaction: hash("tx").hex)
    }

    @Test("the view a node builds from the proven record passes, naming the fields the proof does not cover")
    func honestViewsPass() throws {
        #expect(try ProvenRecordFields.offer(Self.offerView(), id: Self.id, value: Self.offer.canonicalBytes) == ["royalty"])
        #expect(try ProvenRecordFields.task(Self.taskView(), id: Self.id, value: Self.task.canonicalBytes) == ProvenRecordFields.taskUnproven)
        #expect(try ProvenRecordFields.intent(Self.intentView(), id: Self.id, value: Self.intent.canonicalBytes) == ProvenRecordFields.intentUnproven)
        #expect(try ProvenRecordFields.claim(Self.claimView(), id: Self.id, value: Self.claim.canonicalBytes) == ProvenRecordFields.claimUnproven)
    }

    /// Each case: a field name and a lie about it.
    static var offerLies: [(String, (inout API.OfferView) -> Void)] { [
        ("id", { $0.id = hash("other").hex }), ("seller", { $0.seller = address("x").description }), ("title", { $0.title = "a better dataset" }),
        ("artifact.sha256", { $0.artifact.sha256 = hash("x").hex }), ("artifact.size", { $0.artifact.size += 1 }),
        ("plaintextSHA256", { $0.plaintextSHA256 = hash("x").hex }), ("keyCommitment", { $0.keyCommitment = hash("x").hex }),
        ("price", { $0.price = 1 }), ("bond", { $0.bond = 400 }), ("bondHeld", { $0.bondHeld = 0 }), ("expiresAt", { $0.expiresAt = 901 }),
        ("deliveryWindowMs", { $0.deliveryWindowMs = 1 }), ("disputeWindowMs", { $0.disputeWindowMs = 1 }), ("group", { $0.group = nil }),
        ("status", { $0.status = "closed" }), ("createdAt", { $0.createdAt = 13 }), ("openPurchases", { $0.openPurchases = 0 }),
        ("purchases", { $0.purchases = 4 }), ("sales", { $0.sales = 0 }),
    ] }

    /// The field a check refuses as `value_mismatch` (nil: accepted; another refusal: its text).
    static func refusedField(_ body: () throws(ProvenRecordFields.Refusal) -> [String]) -> String? {
        do { _ = try body(); return nil } catch {
            guard case let .valueMismatch(field, _, _) = error, error.code == "value_mismatch" else { return "\(error)" }
            return field
        }
    }

    @Test("an offer with any one checked field changed is value_mismatch on that field")
    func offerLiesRefused() {
        for (field, lie) in Self.offerLies {
            var v = Self.offerView()
            lie(&v)
            #expect(Self.refusedField { () throws(ProvenRecordFields.Refusal) in try ProvenRecordFields.offer(v, id: Self.id, value: Self.offer.canonicalBytes) } == field)
        }
    }

    @Test("tasks, intents and claims: a changed checked field is refused, an unproven one is not")
    func otherLiesRefused() throws {
        let taskLies: [(String, (inout API.TaskView) -> Void)] = [
            ("group", { $0.group = Self.hash("g2").hex }), ("creator", { $0.creator = Self.address("x").description }),
            ("assignee", { $0.assignee = nil }), ("state", { $0.state = "completed" }), ("reward", { $0.reward = 5_000 }),
            ("deadline", { $0.deadline = nil }), ("height", { $0.height = 21 }),
        ]
        for (field, lie) in taskLies {
            var v = Self.taskView()
            lie(&v)
            #expect(Self.refusedField { () throws(ProvenRecordFields.Refusal) in try ProvenRecordFields.task(v, id: Self.id, value: Self.task.canonicalBytes) } == field)
        }
        let intentLies: [(String, (inout API.IntentView) -> Void)] = [
            ("author", { $0.author = Self.address("x").description }), ("kind", { $0.kind = "offer" }), ("bond", { $0.bond = 0 }),
            ("deadline", { $0.deadline = 5 }), ("height", { $0.height = 1 }), ("status", { $0.status = "open" }), ("settlement", { $0.settlement = nil }),
        ]
        for (field, lie) in intentLies {
            var v = Self.intentView()
            lie(&v)
            #expect(Self.refusedField { () throws(ProvenRecordFields.Refusal) in try ProvenRecordFields.intent(v, id: Self.id, value: Self.intent.canonicalBytes) } == field)
        }
        let claimLies: [(String, (inout API.ClaimView) -> Void)] = [
            ("id", { $0.id = Self.hash("c2").hex }), ("group", { $0.group = Self.hash("g2").hex }),
            ("author", { $0.author = Self.address("x").description }), ("height", { $0.height = 45 }),
        ]
        for (field, lie) in claimLies {
            var v = Self.claimView()
            lie(&v)
            #expect(Self.refusedField { () throws(ProvenRecordFields.Refusal) in try ProvenRecordFields.claim(v, id: Self.id, value: Self.claim.canonicalBytes) } == field)
        }
        // The claim's text is index, not state: changing it is not detectable from the proof,
        // and the check says so by naming it unproven.
        var texted = Self.claimView()
        texted.text = "the sky is green"
        #expect(try ProvenRecordFields.claim(texted, id: Self.id, value: Self.claim.canonicalBytes).contains("text"))
    }

    @Test("a record answered for a key proven absent, or a value of another kind, is refused")
    func absentOrWrongKindRefused() {
        #expect(throws: ProvenRecordFields.Refusal.valueMismatch(field: "record", node: "present", proven: "absent")) {
            try ProvenRecordFields.offer(Self.offerView(), id: Self.id, value: nil)
        }
        do {
            _ = try ProvenRecordFields.offer(Self.offerView(), id: Self.id, value: Self.claim.canonicalBytes)
            Issue.record("a claim record passed as an offer")
        } catch {
            #expect(error.code == "bad_proof")
        }
    }
}
