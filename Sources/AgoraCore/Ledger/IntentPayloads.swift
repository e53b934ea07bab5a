/// The values that the `intents` payloads carry (tags 28–34): an intent's kind, text and
/// structured terms; a mediator's registration; a settlement proposal with the payments it
/// moves, its fee, deadlines and the matcher's score parts; a challenge. Everything decodes
/// strictly (sizes, sorted-and-unique lists, min ≤ max ranges, normalised assets) so that one
/// intent has one encoding and the rules never see a half-valid value. The IDs of intents and
/// settlements are derived like claim IDs: from the sender and the nonce.

import Foundation

/// What an intent is: something a member has (offer) or wants (request).
public enum IntentKind: UInt8, Sendable, Hashable, CaseIterable, CanonicalCodable, CustomStringConvertible {
    case offer = 1
    case request = 2

    public var name: String { self == .offer ? "offer" : "request" }
    public var description: String { name }
    public var complement: IntentKind { self == .offer ? .request : .offer }

    public init?(name: String) {
        guard let k = IntentKind.allCases.first(where: { $0.name == name }) else { return nil }
        self = k
    }

    public func encode(to writer: inout CanonicalWriter) { writer.write(rawValue) }
    public init(from reader: inout CanonicalReader) throws(CodecError) {
        let raw = try reader.readUInt8("intent.kind")
        guard let k = IntentKind(rawValue: raw) else { throw .unknownTag(type: "intent.kind", tag: raw) }
        self = k
    }
}

/// An inclusive range `min…max` (a single value is `min == max`).
public struct ValueRange: Hashable, Sendable, CanonicalCodable, CustomStringConvertible {
    public var min: UInt64
    public var max: UInt64

    public init(min: UInt64, max: UInt64) {
        self.min = min
        self.max = max
    }

    public func overlaps(_ other: ValueRange) -> Bool { min <= other.max && other.min <= max }
    public var description: String { min == max ? "\(min)" : "\(min)..\(max)" }

    public func encode(to writer: inout CanonicalWriter) {
        writer.write(min)
        writer.write(max)
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        min = try reader.readUInt64("range.min")
        max = try reader.readUInt64("range.max")
        guard min <= max, max <= Amount.max.units else {
            throw .nonCanonical(field: "range", reason: "\(min)..\(max) is not an ordered range within 2^63-1")
        }
    }
}

/// The structured part of an intent: all optional; what is present must be compatible for two
/// intents to match. `asset` is a label (what is traded: "gpu-hours", "usd", "translation");
/// the chain only moves its native token, in the settlement's payments.
public struct IntentTerms: Hashable, Sendable, CanonicalCodable {
    /// Normalised (`IntentAsset.normalize`); empty = unspecified.
    public var asset: String
    /// How much of the asset.
    public var amount: ValueRange?
    /// The price in native base units for the whole amount.
    public var price: ValueRange?
    /// Last block height at which the intent may be settled; nil = none.
    public var deadline: UInt64?

    public init(asset: String = "", amount: ValueRange? = nil, price: ValueRange? = nil, deadline: UInt64? = nil) {
        self.asset = asset
        self.amount = amount
        self.price = price
        self.deadline = deadline
    }

    public static let none = IntentTerms()
    public var isEmpty: Bool { asset.isEmpty && amount == nil && price == nil && deadline == nil }

    public func encode(to writer: inout CanonicalWriter) {
        writer.writeString(asset)
        writer.writeOptional(amount)
        writer.writeOptional(price)
        writer.writeOptional(deadline.map(IntentHeight.init))
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        asset = try reader.readString("terms.asset", limit: Limits.maxIntentAssetBytes)
        guard asset.isEmpty || IntentAsset.isValid(asset) else {
            throw .nonCanonical(field: "terms.asset", reason: "\(asset) is not a normalised asset (a-z 0-9 - _ .)")
        }
        amount = try reader.readOptional(ValueRange.self, "terms.amount")
        price = try reader.readOptional(ValueRange.self, "terms.price")
        deadline = try reader.readOptional(IntentHeight.self, "terms.deadline")?.value
    }

    /// Parses the CLI/API text form, e.g. `asset=gpu-hours amount=10..20 price=500 deadline=900`.
    /// Unknown keys, repeated keys, and ranges that do not parse are typed errors.
    public static func parse(_ text: String) throws(IntentTermsError) -> IntentTerms {
        var terms = IntentTerms()
        var seen = Set<String>()
        for part in text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" || $0 == "\n" }) {
            let pair = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2, !pair[1].isEmpty else { throw .malformed(String(part)) }
            let key = pair[0].lowercased()
            guard seen.insert(key).inserted else { throw .repeated(key) }
            switch key {
            case "asset":
                guard let a = IntentAsset.normalize(pair[1]) else { throw .badAsset(pair[1]) }
                terms.asset = a
            case "amount": terms.amount = try range(pair[1], "amount")
            case "price": terms.price = try range(pair[1], "price")
            case "deadline":
                guard let h = UInt64(pair[1]), h > 0 else { throw .badNumber(field: "deadline", pair[1]) }
                terms.deadline = h
            default: throw .unknownKey(key)
            }
        }
        return terms
    }

    static func range(_ s: String, _ field: String) throws(IntentTermsError) -> ValueRange {
        let bounds = s.components(separatedBy: "..")
        guard bounds.count == 1 || bounds.count == 2,
              let lo = UInt64(bounds[0]), let hi = UInt64(bounds.count == 2 ? bounds[1] : bounds[0]),
              hi <= Amount.max.units else { throw .badNumber(field: field, s) }
        guard lo <= hi else { throw .emptyRange(field: field, s) }
        return ValueRange(min: lo, max: hi)
    }

    /// The text form `parse` reads.
    public var text: String {
        var parts: [String] = []
        if !asset.isEmpty { parts.append("asset=\(asset)") }
        if let a = amount { parts.append("amount=\(a)") }
        if let p = price { parts.append("price=\(p)") }
        if let d = deadline { parts.append("deadline=\(d)") }
        return parts.joined(separator: " ")
    }
}

/// A height that is never 0 (0 would be a second encoding of "none").
struct IntentHeight: CanonicalCodable {
    let value: UInt64
    init(_ value: UInt64) { self.value = value }
    func encode(to writer: inout CanonicalWriter) { writer.write(value) }
    init(from reader: inout CanonicalReader) throws(CodecError) {
        value = try reader.readUInt64("terms.deadline")
        guard value > 0 else { throw .nonCanonical(field: "terms.deadline", reason: "0; omit it instead") }
    }
}

/// Why a terms text does not parse (CLI, API and MCP report it with the offending part).
public enum IntentTermsError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformed(String), repeated(String), unknownKey(String), badAsset(String)
    case badNumber(field: String, String), emptyRange(field: String, String)

    public var description: String {
        switch self {
        case let .malformed(p): return "terms part \"\(p)\" is not key=value"
        case let .repeated(k): return "terms key \(k) appears twice"
        case let .unknownKey(k): return "unknown terms key \(k) (asset, amount, price, deadline)"
        case let .badAsset(a): return "asset \"\(a)\" must be 1-\(Limits.maxIntentAssetBytes) of a-z 0-9 - _ ."
        case let .badNumber(f, v): return "\(f) \"\(v)\" is not a number or range N..M of base units"
        case let .emptyRange(f, v): return "\(f) range \(v) has its minimum above its maximum"
        }
    }
}

public enum IntentAsset {
    public static func isValid(_ a: String) -> Bool {
        let utf8 = a.utf8
        guard !utf8.isEmpty, utf8.count <= Limits.maxIntentAssetBytes else { return false }
        return utf8.allSatisfy { c in
            (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9"))
                || c == UInt8(ascii: "-") || c == UInt8(ascii: "_") || c == UInt8(ascii: ".")
        }
    }

    /// Trims and lowercases; spaces become `-`. nil when the result is not a valid asset.
    public static func normalize(_ raw: String) -> String? {
        let a = raw.trimmingCharacters(in: .whitespaces).lowercased().replacingOccurrences(of: " ", with: "-")
        return isValid(a) ? a : nil
    }
}

/// What `postIntent` carries.
public struct IntentContent: Hashable, Sendable, CanonicalCodable {
    public var group: Hash
    public var kind: IntentKind
    /// 1 B – `Limits.maxIntentTextBytes` of UTF-8.
    public var text: String
    public var terms: IntentTerms
    /// Held while the intent is open; returned on withdrawal or settlement.
    public var bond: Amount

    public init(group: Hash, kind: IntentKind, text: String, terms: IntentTerms = .none, bond: Amount = .zero) {
        self.group = group
        self.kind = kind
        self.text = text
        self.terms = terms
        self.bond = bond
    }

    public func encode(to writer: inout CanonicalWriter) {
        writer.write(group)
        writer.write(kind)
        writer.writeString(text)
        writer.write(terms)
        writer.write(bond)
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        group = try reader.read(Hash.self)
        kind = try reader.read(IntentKind.self)
        text = try reader.readString("intent.text", limit: Limits.maxIntentTextBytes)
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw .nonCanonical(field: "intent.text", reason: "empty")
        }
        terms = try reader.read(IntentTerms.self)
        bond = try reader.read(Amount.self)
    }
}

/// One movement of native tokens a settlement makes when it finalises: escrowed from `from` at
/// its acceptance, paid to `to` after the challenge window.
public struct SettlementPayment: Hashable, Sendable, CanonicalCodable {
    public var from: Address
    public var to: Address
    public var amount: Amount

    public init(from: Address, to: Address, amount: Amount) {
        self.from = from
        self.to = to
        self.amount = amount
    }

    public func encode(to writer: inout CanonicalWriter) {
        writer.write(from)
        writer.write(to)
        writer.write(amount)
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        from = try reader.read(Address.self)
        to = try reader.read(Address.self)
        amount = try reader.read(Amount.self)
        guard from != to, amount > .zero else {
            throw .nonCanonical(field: "settlement.payment", reason: "a payment moves a positive amount between two addresses")
        }
    }
}

/// Why the matcher proposed a pair, in thousandths: the explanation a party reads before
/// accepting. `source` 1 = the built-in matcher, 2 = an LLM judge.
public struct MatchScore: Hashable, Sendable, CanonicalCodable, Codable {
    public var source: UInt8
    public var kind: UInt32
    public var terms: UInt32
    public var text: UInt32
    public var total: UInt32

    public init(source: UInt8, kind: UInt32, terms: UInt32, text: UInt32, total: UInt32) {
        self.source = source
        self.kind = kind
        self.terms = terms
        self.text = text
        self.total = total
    }

    public func encode(to writer: inout CanonicalWriter) {
        writer.write(source)
        writer.write(kind)
        writer.write(terms)
        writer.write(text)
        writer.write(total)
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        source = try reader.readUInt8("score.source")
        kind = try reader.readUInt32("score.kind")
        terms = try reader.readUInt32("score.terms")
        text = try reader.readUInt32("score.text")
        total = try reader.readUInt32("score.total")
    }
}

/// What `proposeSettlement` carries: the intents it pairs, the terms in words and in payments,
/// the mediator's fee, and its two deadlines.
public struct SettlementProposal: Hashable, Sendable, CanonicalCodable {
    /// 2 – `Limits.maxSettlementIntents`, sorted and unique.
    public var intents: [Hash]
    /// 1 B – `Limits.maxSettlementTermsBytes`.
    public var termsText: String
    /// The agreed structured terms (asset, amount, price) for the record.
    public var terms: IntentTerms
    /// What moves at finalisation; every `from` and `to` must be a party.
    public var payments: [SettlementPayment]
    /// Paid to the mediator at finalisation, shared by the parties.
    public var mediatorFee: Amount
    /// Last height at which a party may accept.
    public var acceptBy: UInt64
    /// Heights between the last acceptance and finalisation.
    public var challengeWindow: UInt64
    public var score: MatchScore

    public init(intents: [Hash], termsText: String, terms: IntentTerms, payments: [SettlementPayment], mediatorFee: Amount,
                acceptBy: UInt64, challengeWindow: UInt64, score: MatchScore) {
        self.intents = intents
        self.termsText = termsText
        self.terms = terms
        self.payments = payments
        self.mediatorFee = mediatorFee
        self.acceptBy = acceptBy
        self.challengeWindow = challengeWindow
        self.score = score
    }

    public func encode(to writer: inout CanonicalWriter) {
        writer.writeArray(intents)
        writer.writeString(termsText)
        writer.write(terms)
        writer.writeArray(payments)
        writer.write(mediatorFee)
        writer.write(acceptBy)
        writer.write(challengeWindow)
        writer.write(score)
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        intents = try reader.readArray(Hash.self, "settlement.intents", limit: Limits.maxSettlementIntents)
        guard intents.count >= 2 else { throw .nonCanonical(field: "settlement.intents", reason: "fewer than 2 intents") }
        for i in intents.indices.dropFirst() where !(intents[i - 1] < intents[i]) {
            throw .nonCanonical(field: "settlement.intents", reason: "not sorted and unique")
        }
        termsText = try reader.readString("settlement.termsText", limit: Limits.maxSettlementTermsBytes)
        guard !termsText.isEmpty else { throw .nonCanonical(field: "settlement.termsText", reason: "empty") }
        terms = try reader.read(IntentTerms.self)
        payments = try reader.readArray(SettlementPayment.self, "settlement.payments", limit: Limits.maxSettlementPayments)
        mediatorFee = try reader.read(Amount.self)
        acceptBy = try reader.readUInt64("settlement.acceptBy")
        challengeWindow = try reader.readUInt64("settlement.challengeWindow")
        guard challengeWindow >= Limits.minChallengeWindow, challengeWindow <= Limits.maxChallengeWindow else {
            throw .nonCanonical(field: "settlement.challengeWindow",
                                reason: "\(challengeWindow) is outside \(Limits.minChallengeWindow)…\(Limits.maxChallengeWindow)")
        }
        score = try reader.read(MatchScore.self)
    }
}

extension Limits {
    /// intents: the text a member writes. 2 KiB says what one wants; details go in claims.
    public static let maxIntentTextBytes = 2 * 1024
    public static let maxIntentAssetBytes = 32
    public static let maxSettlementIntents = 8
    public static let maxSettlementPayments = 16
    public static let maxSettlementTermsBytes = 4 * 1024
    public static let maxChallengeReasonBytes = 1024
    /// Heights a fully accepted settlement waits for a challenge. The floor gives parties and
    /// other mediators at least a few blocks to look; the ceiling bounds how long funds sit.
    public static let minChallengeWindow: UInt64 = 3
    public static let maxChallengeWindow: UInt64 = 100_000
}

extension LedgerID {
    static let intentDomain = Array("agora/intent/v1\u{0}".utf8)
    static let settlementDomain = Array("agora/settlement/v1\u{0}".utf8)

    public static func intent(author: Address, nonce: UInt64) -> Hash {
        Hash.sha256(parts: [intentDomain, author.bytes, nonce.canonicalBytes])
    }

    public static func settlement(mediator: Address, nonce: UInt64) -> Hash {
        Hash.sha256(parts: [settlementDomain, mediator.bytes, nonce.canonicalBytes])
    }
}

// The `intents` payloads' codec (tags 28–34). `Payload` routes here by `Tag.module`.
extension Payload {
    func encodeIntentFields(to writer: inout CanonicalWriter) {
        switch self {
        case let .postIntent(content):
            writer.write(content)
        case let .withdrawIntent(intent):
            writer.write(intent)
        case let .registerMediator(stake, feeBps):
            writer.write(stake)
            writer.write(feeBps)
        case let .proposeSettlement(proposal):
            writer.write(proposal)
        case let .acceptSettlement(settlement):
            writer.write(settlement)
        case let .challengeSettlement(settlement, reason, bond):
            writer.write(settlement)
            writer.writeString(reason)
            writer.write(bond)
        case let .resolveChallenge(settlement, upheld):
            writer.write(settlement)
            writer.write(upheld)
        default:
            misrouted(.intents)
        }
    }

    static func decodeIntents(_ tag: Tag, from reader: inout CanonicalReader) throws(CodecError) -> Payload {
        switch tag {
        case .postIntent:
            return .postIntent(try reader.read(IntentContent.self))
        case .withdrawIntent:
            return .withdrawIntent(intent: try reader.read(Hash.self))
        case .registerMediator:
            let stake = try reader.read(Amount.self)
            let bps = try reader.readUInt16("mediator.feeBps")
            guard bps <= 10_000 else { throw .nonCanonical(field: "mediator.feeBps", reason: "\(bps) is above 10000") }
            return .registerMediator(stake: stake, feeBps: bps)
        case .proposeSettlement:
            return .proposeSettlement(try reader.read(SettlementProposal.self))
        case .acceptSettlement:
            return .acceptSettlement(settlement: try reader.read(Hash.self))
        case .challengeSettlement:
            let settlement = try reader.read(Hash.self)
            let reason = try reader.readString("challenge.reason", limit: Limits.maxChallengeReasonBytes)
            guard !reason.isEmpty else { throw .nonCanonical(field: "challenge.reason", reason: "empty") }
            return .challengeSettlement(settlement: settlement, reason: reason, bond: try reader.read(Amount.self))
        case .resolveChallenge:
            let settlement = try reader.read(Hash.self)
            return .resolveChallenge(settlement: settlement, upheld: try reader.readBool("resolve.upheld"))
        default:
            throw misroutedTag(tag)
        }
    }
}
