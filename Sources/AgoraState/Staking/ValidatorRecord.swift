import AgoraCore

/// What staking knows about one key that ever bonded or validated: its bond, whether it was
/// punished for double-signing, and the keys it rotated from and to. Voting power is not here:
/// the validator sets are its one source of truth. Records are never deleted, so a key that was
/// ever in a set keeps being recognised (a rotation cannot target it, evidence finds its bond).
public struct ValidatorRecord: Hashable, Sendable, CanonicalCodable {
    public var bond: Amount
    /// Punished for a double sign: it can never be added to the set again.
    public var tombstoned: Bool
    /// Set on a key that handed its power and bond to another: it can no longer bond or be added.
    public var rotatedTo: PublicKey?
    /// Set on the key that received them, so unbonding can check the predecessor's window too.
    public var rotatedFrom: PublicKey?

    public static let empty = ValidatorRecord(bond: .zero, tombstoned: false, rotatedTo: nil, rotatedFrom: nil)

    public init(bond: Amount, tombstoned: Bool, rotatedTo: PublicKey?, rotatedFrom: PublicKey?) {
        self.bond = bond
        self.tombstoned = tombstoned
        self.rotatedTo = rotatedTo
        self.rotatedFrom = rotatedFrom
    }

    public var isRetired: Bool { rotatedTo != nil }

    public func encode(to writer: inout CanonicalWriter) {
        writer.write(bond)
        writer.write(tombstoned)
        writer.writeOptional(rotatedTo)
        writer.writeOptional(rotatedFrom)
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        bond = try reader.read(Amount.self)
        tombstoned = try reader.readBool("validator.tombstoned")
        rotatedTo = try reader.readOptional(PublicKey.self, "validator.rotatedTo")
        rotatedFrom = try reader.readOptional(PublicKey.self, "validator.rotatedFrom")
    }
}

/// A key's standing as the API shows it, derived from its record and the working set.
public enum ValidatorStatus: String, Sendable, Codable {
    /// In the working set (the set that will sign from height H+2).
    case active
    /// Bonded (or once a validator) and not in the working set.
    case inactive
    /// Handed its power and bond to another key.
    case rotated
    /// Punished for a double sign; never again a validator.
    case tombstoned
}

/// Where staking keeps things in the state store. Heights in keys are big-endian so that keys
/// sort by height.
public enum StakingKeys {
    static let recordPrefix = Array("staking/val/".utf8)
    static let setPrefix = Array("staking/set/".utf8)
    public static func record(_ key: PublicKey) -> StateKey { StateKey(recordPrefix + key.bytes) }
    /// The validator set that took effect at `height` (signs blocks from `height` on).
    public static func set(effectiveAt height: UInt64) -> StateKey {
        StateKey(setPrefix + withUnsafeBytes(of: height.bigEndian) { Array($0) })
    }
    public static let params = StateKey("staking/params")
    /// Ascending heights at which a retained set took effect: the index of `staking/set/…`.
    public static let epochs = StateKey("staking/epochs")
    /// The set as this block's transactions leave it; it becomes the set for H+2 at block end.
    public static let working = StateKey("staking/working")
}
