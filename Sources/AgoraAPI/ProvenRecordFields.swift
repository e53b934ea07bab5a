import AgoraAPIModels
import AgoraCore
import AgoraState

/// The inverse of `RecordViews.swift` for a verified read: given a record view a node answered
/// with `?prove=true` and the state bytes its proof was verified to hold, it decodes those bytes
/// and checks every field of the view that the state record determines, so a node cannot put a
/// true proof beside a false JSON rendering (docs/light-client.md, "Fields re-derived"). Used by
/// `agora query … --verify` and by MCP sessions with a trust root, after the light client has
/// verified the proof itself.
///
/// Not every field of a view is state: a claim's text, a task's title and result, an intent's
/// terms text and every `transaction`/`time` field come from the block index, which no state
/// root covers. Each check returns the names of those fields, so the caller can say which of the
/// node's fields stand unproven beside the proven ones.
public enum ProvenRecordFields {
    /// Why a record view does not match its proven bytes.
    public enum Refusal: Error, Equatable, Sendable, CustomStringConvertible {
        /// The node's field says `node`; the proven record says `proven`.
        case valueMismatch(field: String, node: String, proven: String)
        /// The proven bytes are not a record of the expected kind.
        case undecodable(record: String, reason: String)

        /// The typed reason the CLI and MCP report.
        public var code: String {
            switch self {
            case .valueMismatch: return "value_mismatch"
            case .undecodable: return "bad_proof"
            }
        }

        public var description: String {
            switch self {
            case let .valueMismatch(field, node, proven):
                return "the node's \(field) is \(node.prefix(120)), the proven state bytes say \(proven.prefix(120))"
            case let .undecodable(record, why): return "the proven value is not a \(record): \(why)"
            }
        }
    }

    public static let claimUnproven = ["text", "tags", "parent", "root", "artifacts", "index", "time", "transaction", "retracted", "sources"]
    public static let offerUnproven = ["royalty"]
    public static let taskUnproven = ["title", "description", "artifacts", "overdue", "createdTime", "updatedTime", "transaction", "result", "failReason"]
    public static let intentUnproven = ["text", "terms", "asset", "amount", "price", "transaction"]

    /// A claim: its ID, group, author and height are state (`claims/c/`); the rest is index.
    public static func claim(_ view: API.ClaimView, id: Hash, value: [UInt8]?) throws(Refusal) -> [String] {
        let record = try decode(ClaimRecord.self, "claim record", value)
        try same("id", view.id, id.hex)
        try same("group", view.group, record.group.hex)
        try same("author", view.author, record.author.description)
        try same("height", view.height, record.height)
        return claimUnproven
    }

    /// An offer: every field but the royalty (its own state key) is the offer record's.
    public static func offer(_ view: API.OfferView, id: Hash, value: [UInt8]?) throws(Refusal) -> [String] {
        let o = try decode(OfferRecord.self, "offer record", value)
        let t = o.terms
        try same("id", view.id, id.hex)
        try same("seller", view.seller, o.seller.description)
        try same("title", view.title, t.title)
        try same("artifact.sha256", view.artifact.sha256, t.artifact.sha256.hex)
        try same("artifact.size", view.artifact.size, t.artifact.size)
        try same("plaintextSHA256", view.plaintextSHA256, t.plaintextSHA256.hex)
        try same("keyCommitment", view.keyCommitment, t.keyCommitment.hex)
        try same("price", view.price, t.price.units)
        try same("bond", view.bond, t.bond.units)
        try same("bondHeld", view.bondHeld, o.bondHeld.units)
        try same("expiresAt", view.expiresAt, t.expiresAt)
        try same("deliveryWindowMs", view.deliveryWindowMs, t.deliveryWindowMs)
        try same("disputeWindowMs", view.disputeWindowMs, t.disputeWindowMs)
        try same("group", view.group, t.group?.hex)
        try same("status", view.status, o.status.description)
        try same("createdAt", view.createdAt, o.createdAt)
        try same("openPurchases", view.openPurchases, o.openPurchases)
        try same("purchases", view.purchases, o.purchases)
        try same("sales", view.sales, o.sales)
        return offerUnproven
    }

    /// A task: its parties, reward, deadline, state and creation height are state.
    public static func task(_ view: API.TaskView, id: Hash, value: [UInt8]?) throws(Refusal) -> [String] {
        let t = try decode(TaskRecord.self, "task record", value)
        try same("id", view.id, id.hex)
        try same("group", view.group, t.group.hex)
        try same("creator", view.creator, t.creator.description)
        try same("assignee", view.assignee, t.assignee?.description)
        try same("state", view.state, t.state.name)
        try same("reward", view.reward, t.reward.units)
        try same("deadline", view.deadline, t.deadline)
        try same("height", view.height, t.createdAt)
        return taskUnproven
    }

    /// An intent: its author, kind, bond, deadline, height, status and settlement are state.
    public static func intent(_ view: API.IntentView, id: Hash, value: [UInt8]?) throws(Refusal) -> [String] {
        let i = try decode(IntentRecord.self, "intent record", value)
        try same("id", view.id, id.hex)
        try same("group", view.group, i.group.hex)
        try same("author", view.author, i.author.description)
        try same("kind", view.kind, i.kind.name)
        try same("bond", view.bond, i.bond.units)
        // The record keeps "no deadline" as 0 (IntentRecord), the view as null.
        try same("deadline", view.deadline, i.deadline == 0 ? nil : i.deadline)
        try same("height", view.height, i.height)
        try same("status", view.status, i.status.name)
        try same("settlement", view.settlement, i.settlement?.hex)
        return intentUnproven
    }

    /// A record view answered for a key the proof shows absent is a lie about its existence.
    static func decode<R: CanonicalCodable>(_ type: R.Type, _ what: String, _ value: [UInt8]?) throws(Refusal) -> R {
        guard let value else { throw .valueMismatch(field: "record", node: "present", proven: "absent") }
        do { return try R(canonicalBytes: value) } catch { throw .undecodable(record: what, reason: "\(error)") }
    }

    static func same<T: Equatable>(_ field: String, _ node: T, _ proven: T) throws(Refusal) {
        guard node != proven else { return }
        throw .valueMismatch(field: field, node: text(node), proven: text(proven))
    }

    /// A field's value as the refusal names it (an absent optional is `null`, as in the JSON).
    private static func text(_ value: Any) -> String {
        let mirror = Mirror(reflecting: value)
        if mirror.displayStyle == .optional { return mirror.children.first.map { text($0.value) } ?? "null" }
        return "\(value)"
    }
}
