/// A validator and its voting power; a set is sorted by key so that it has one hash.
public struct Validator: Hashable, Sendable, CanonicalCodable {
    public var publicKey: PublicKey
    public var power: UInt64

    public init(publicKey: PublicKey, power: UInt64) {
        self.publicKey = publicKey
        self.power = power
    }

    public func encode(to writer: inout CanonicalWriter) {
        writer.write(publicKey)
        writer.write(power)
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        publicKey = try reader.read(PublicKey.self)
        power = try reader.readUInt64("validator.power")
    }
}

public struct ValidatorSet: Hashable, Sendable, CanonicalCodable {
    public let validators: [Validator]

    public enum Invalid: Error, Equatable, Sendable {
        case empty, duplicate(PublicKey), zeroPower(PublicKey), tooMany(Int), totalPowerOverflow
    }

    public init(_ validators: [Validator]) throws(Invalid) {
        guard !validators.isEmpty else { throw .empty }
        guard validators.count <= Limits.maxValidators else { throw .tooMany(validators.count) }
        let sorted = validators.sorted { $0.publicKey < $1.publicKey }
        var total: UInt64 = 0
        for (i, v) in sorted.enumerated() {
            if i > 0, sorted[i - 1].publicKey == v.publicKey { throw .duplicate(v.publicKey) }
            if v.power == 0 { throw .zeroPower(v.publicKey) }
            let (sum, o) = total.addingReportingOverflow(v.power)
            if o || sum > UInt64(Int64.max) { throw .totalPowerOverflow }
            total = sum
        }
        self.validators = sorted
    }

    public var totalPower: UInt64 { validators.reduce(0) { $0 + $1.power } }
    public var hash: Hash { Hash.sha256(canonicalBytes) }

    public func contains(_ key: PublicKey) -> Bool { validators.contains { $0.publicKey == key } }
    public func power(of key: PublicKey) -> UInt64 { validators.first { $0.publicKey == key }?.power ?? 0 }

    public func encode(to writer: inout CanonicalWriter) { writer.writeArray(validators) }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        let list = try reader.readArray(Validator.self, "validators", limit: Limits.maxValidators)
        do {
            let set = try ValidatorSet(list)
            guard set.validators == list else { throw CodecError.nonCanonical(field: "validators", reason: "not sorted by key") }
            self = set
        } catch let error as CodecError {
            throw error
        } catch {
            throw .nonCanonical(field: "validators", reason: "\(error)")
        }
    }
}
