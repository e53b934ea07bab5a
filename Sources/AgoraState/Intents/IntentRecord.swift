import AgoraCore

/// What state holds for the intents module: one record per intent, per mediator and per
/// settlement, the per-height "due" lists that end-of-block processing reads instead of
/// scanning, the module's fixed rules (`IntentRules`) and its key layout (`IntentKeys`). The
/// intent's text and the settlement's terms text stay in their transactions; the node's SQLite
/// index serves queries and candidate retrieval.

public enum IntentStatus: UInt8, Sendable, Hashable, CaseIterable {
    case open = 1
    /// In a fully accepted settlement that waits out its challenge window (or a challenge).
    case matched = 2
    case settled = 3
    case withdrawn = 4

    public var name: String {
        switch self {
        case .open: return "open"
        case .matched: return "matched"
        case .settled: return "settled"
        case .withdrawn: return "withdrawn"
        }
    }
}

public struct IntentRecord: Hashable, Sendable, CanonicalCodable {
    public var group: Hash
    public var author: Address
    public var kind: IntentKind
    public var bond: Amount
    /// 0 = no deadline.
    public var deadline: UInt64
    public var height: UInt64
    public var status: IntentStatus
    /// The settlement that matched or settled it.
    public var settlement: Hash?

    public init(group: Hash, author: Address, kind: IntentKind, bond: Amount, deadline: UInt64, height: UInt64,
                status: IntentStatus, settlement: Hash?) {
        self.group = group
        self.author = author
        self.kind = kind
        self.bond = bond
        self.deadline = deadline
        self.height = height
        self.status = status
        self.settlement = settlement
    }

    public func isExpired(at height: UInt64) -> Bool { deadline != 0 && height > deadline }

    public func encode(to writer: inout CanonicalWriter) {
        writer.write(group)
        writer.write(author)
        writer.write(kind)
        writer.write(bond)
        writer.write(deadline)
        writer.write(height)
        writer.write(status.rawValue)
        writer.writeOptional(settlement)
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        group = try reader.read(Hash.self)
        author = try reader.read(Address.self)
        kind = try reader.read(IntentKind.self)
        bond = try reader.read(Amount.self)
        deadline = try reader.readUInt64("intent.deadline")
        height = try reader.readUInt64("intent.height")
        let raw = try reader.readUInt8("intent.status")
        guard let s = IntentStatus(rawValue: raw) else { throw .unknownTag(type: "intent.status", tag: raw) }
        status = s
        settlement = try reader.readOptional(Hash.self, "intent.settlement")
    }
}

/// A mediator's stake, fee rate and public record.
public struct MediatorRecord: Hashable, Sendable, CanonicalCodable {
    public var stake: Amount
    public var feeBps: UInt16
    public var registeredAt: UInt64
    public var proposals: UInt64
    /// Settlements every party accepted.
    public var acceptances: UInt64
    public var finalised: UInt64
    public var challenged: UInt64
    /// Challenges the group's admins upheld (each slashed the stake).
    public var upheld: UInt64

    public init(stake: Amount, feeBps: UInt16, registeredAt: UInt64, proposals: UInt64 = 0, acceptances: UInt64 = 0,
                finalised: UInt64 = 0, challenged: UInt64 = 0, upheld: UInt64 = 0) {
        self.stake = stake
        self.feeBps = feeBps
        self.registeredAt = registeredAt
        self.proposals = proposals
        self.acceptances = acceptances
        self.finalised = finalised
        self.challenged = challenged
        self.upheld = upheld
    }

    public func encode(to writer: inout CanonicalWriter) {
        writer.write(stake)
        writer.write(feeBps)
        writer.write(registeredAt)
        writer.write(proposals)
        writer.write(acceptances)
        writer.write(finalised)
        writer.write(challenged)
        writer.write(upheld)
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        stake = try reader.read(Amount.self)
        feeBps = try reader.readUInt16("mediator.feeBps")
        registeredAt = try reader.readUInt64("mediator.registeredAt")
        proposals = try reader.readUInt64("mediator.proposals")
        acceptances = try reader.readUInt64("mediator.acceptances")
        finalised = try reader.readUInt64("mediator.finalised")
        challenged = try reader.readUInt64("mediator.challenged")
        upheld = try reader.readUInt64("mediator.upheld")
    }
}

public enum SettlementStatus: UInt8, Sendable, Hashable, CaseIterable {
    /// Waiting for every party to accept by `acceptBy`.
    case proposed = 1
    /// Every party accepted; funds escrowed; finalises at `finalizeAt` unless challenged.
    case accepted = 2
    case challenged = 3
    case finalised = 4
    /// A challenge was upheld: escrows went back to the parties.
    case refunded = 5
    /// `acceptBy` passed before every party accepted: escrows went back.
    case expired = 6

    public var name: String {
        switch self {
        case .proposed: return "proposed"
        case .accepted: return "accepted"
        case .challenged: return "challenged"
        case .finalised: return "finalised"
        case .refunded: return "refunded"
        case .expired: return "expired"
        }
    }
}

public struct SettlementRecord: Hashable, Sendable, CanonicalCodable {
    public var group: Hash
    public var mediator: Address
    /// Sorted, as in the proposal.
    public var intents: [Hash]
    /// The author of each intent, in the same order.
    public var parties: [Address]
    public var payments: [SettlementPayment]
    public var mediatorFee: Amount
    public var acceptBy: UInt64
    public var challengeWindow: UInt64
    public var proposedAt: UInt64
    public var status: SettlementStatus
    /// Per party: has it accepted, and what it escrowed.
    public var accepted: [Bool]
    public var escrow: [Amount]
    /// Set when every party accepted: the height whose end finalises it.
    public var finalizeAt: UInt64
    public var challenger: Address?
    public var challengeBond: Amount

    public var escrowTotal: Amount { escrow.reduce(Amount.zero) { (try? $0.adding($1)) ?? .max } }

    public func encode(to writer: inout CanonicalWriter) {
        writer.write(group)
        writer.write(mediator)
        writer.writeArray(intents)
        writer.writeArray(parties)
        writer.writeArray(payments)
        writer.write(mediatorFee)
        writer.write(acceptBy)
        writer.write(challengeWindow)
        writer.write(proposedAt)
        writer.write(status.rawValue)
        writer.write(UInt32(accepted.count))
        for a in accepted { writer.write(a) }
        writer.writeArray(escrow)
        writer.write(finalizeAt)
        writer.writeOptional(challenger)
        writer.write(challengeBond)
    }

    public init(group: Hash, mediator: Address, intents: [Hash], parties: [Address], payments: [SettlementPayment],
                mediatorFee: Amount, acceptBy: UInt64, challengeWindow: UInt64, proposedAt: UInt64) {
        self.group = group
        self.mediator = mediator
        self.intents = intents
        self.parties = parties
        self.payments = payments
        self.mediatorFee = mediatorFee
        self.acceptBy = acceptBy
        self.challengeWindow = challengeWindow
        self.proposedAt = proposedAt
        status = .proposed
        accepted = Array(repeating: false, count: parties.count)
        escrow = Array(repeating: .zero, count: parties.count)
        finalizeAt = 0
        challenger = nil
        challengeBond = .zero
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        group = try reader.read(Hash.self)
        mediator = try reader.read(Address.self)
        intents = try reader.readArray(Hash.self, "settlement.intents", limit: Limits.maxSettlementIntents)
        parties = try reader.readArray(Address.self, "settlement.parties", limit: Limits.maxSettlementIntents)
        payments = try reader.readArray(SettlementPayment.self, "settlement.payments", limit: Limits.maxSettlementPayments)
        mediatorFee = try reader.read(Amount.self)
        acceptBy = try reader.readUInt64("settlement.acceptBy")
        challengeWindow = try reader.readUInt64("settlement.challengeWindow")
        proposedAt = try reader.readUInt64("settlement.proposedAt")
        let raw = try reader.readUInt8("settlement.status")
        guard let s = SettlementStatus(rawValue: raw) else { throw .unknownTag(type: "settlement.status", tag: raw) }
        status = s
        let n = try reader.readLength("settlement.accepted", limit: Limits.maxSettlementIntents)
        var acc: [Bool] = []
        for _ in 0..<n { acc.append(try reader.readBool("settlement.accepted")) }
        accepted = acc
        escrow = try reader.readArray(Amount.self, "settlement.escrow", limit: Limits.maxSettlementIntents)
        finalizeAt = try reader.readUInt64("settlement.finalizeAt")
        challenger = try reader.readOptional(Address.self, "settlement.challenger")
        challengeBond = try reader.read(Amount.self)
    }
}

/// The module's fixed rules. Constants rather than chain params until governance exists to
/// change them; changing one changes the protocol.
public enum IntentRules {
    /// Least stake a mediator must hold to propose.
    public static let minMediatorStake = Amount(100)!
    /// Least bond a challenge must carry: a challenge freezes the parties' funds, so it costs.
    public static let minChallengeBond = Amount(10)!
    /// Share of the mediator's stake an upheld challenge slashes (to the challenger).
    public static let slashBps: UInt16 = 5_000
    /// Furthest ahead of the proposing height `acceptBy` may be.
    public static let maxAcceptWindow: UInt64 = 100_000
}

/// Key layout: `intents/i/` + intent ID, `intents/m/` + mediator address, `intents/s/` +
/// settlement ID, `intents/due/` + height (u64 big-endian) → the settlements to look at when
/// that height's block ends.
public enum IntentKeys {
    public static let intentPrefix = Array("intents/i/".utf8)
    public static let mediatorPrefix = Array("intents/m/".utf8)
    public static let settlementPrefix = Array("intents/s/".utf8)
    public static let duePrefix = Array("intents/due/".utf8)
    public static func intent(_ id: Hash) -> StateKey { StateKey(intentPrefix + id.bytes) }
    public static func mediator(_ a: Address) -> StateKey { StateKey(mediatorPrefix + a.bytes) }
    public static func settlement(_ id: Hash) -> StateKey { StateKey(settlementPrefix + id.bytes) }
    public static func due(_ height: UInt64) -> StateKey {
        StateKey(duePrefix + withUnsafeBytes(of: height.bigEndian) { Array($0) })
    }
}
