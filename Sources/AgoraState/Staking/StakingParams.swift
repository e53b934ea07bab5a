import AgoraCore

/// The staking module's chain-wide rules, kept in state (`staking/params`) like the bank's so
/// that governance can change them by transaction later; set at genesis.
public struct StakingParams: Hashable, Sendable, CanonicalCodable {
    /// The only account allowed to change the validator set. nil: nobody can; the set then
    /// changes only by key rotation and by evidence.
    public var admin: Address?
    /// Bond a key must hold to be added to the set, and below which a validator cannot unbond.
    public var minBond: Amount
    /// Share of the bond burned for a double sign, in basis points (Cosmos: 500 = 5%).
    public var doubleSignSlashBps: UInt16
    /// Evidence older than this many heights is refused; validator sets are kept this long.
    public var maxEvidenceAge: UInt64

    public static let defaultSlashBps: UInt16 = 500
    public static let defaultMaxEvidenceAge: UInt64 = 1_000

    public init(admin: Address?, minBond: Amount, doubleSignSlashBps: UInt16 = StakingParams.defaultSlashBps,
                maxEvidenceAge: UInt64 = StakingParams.defaultMaxEvidenceAge) {
        self.admin = admin
        self.minBond = minBond
        self.doubleSignSlashBps = doubleSignSlashBps
        self.maxEvidenceAge = maxEvidenceAge
    }

    public enum Invalid: Error, Equatable, Sendable, CustomStringConvertible {
        case slashBps(UInt16), maxEvidenceAge(UInt64)
        public var description: String {
            switch self {
            case let .slashBps(v): return "staking.doubleSignSlashBps \(v) is above 10000"
            case let .maxEvidenceAge(v): return "staking.maxEvidenceAge \(v) must be 1…\(Limits.maxEvidenceAge)"
            }
        }
    }

    public func validate() throws(Invalid) {
        guard doubleSignSlashBps <= 10_000 else { throw .slashBps(doubleSignSlashBps) }
        guard (1...Limits.maxEvidenceAge).contains(maxEvidenceAge) else { throw .maxEvidenceAge(maxEvidenceAge) }
    }

    public func encode(to writer: inout CanonicalWriter) {
        writer.writeOptional(admin)
        writer.write(minBond)
        writer.write(doubleSignSlashBps)
        writer.write(maxEvidenceAge)
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        admin = try reader.readOptional(Address.self, "staking.admin")
        minBond = try reader.read(Amount.self)
        doubleSignSlashBps = try reader.readUInt16("staking.doubleSignSlashBps")
        maxEvidenceAge = try reader.readUInt64("staking.maxEvidenceAge")
    }
}
