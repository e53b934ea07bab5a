import AgoraCore

/// What a light client reads from a node: a height's validator set, and a "light block" — the
/// header, its seal (the +2/3 precommits for it) and the set that signed it — each also in its
/// canonical encoding, because the client hashes and checks signatures over exactly those bytes
/// and must not trust the node's JSON rendering of them (docs/light-client.md).
extension API {
    /// `GET /api/v1/validators/{height}`: the set that signs block `height`. Its `hash` is the
    /// header's `validatorSetHash` (and the parent header's `nextValidatorSetHash`).
    public struct ValidatorSetAtView: Codable, Sendable {
        public var height: UInt64
        public var hash: String
        public var totalPower: UInt64
        public var validators: [Member]
        /// The set's canonical encoding, hex: what `hash` is SHA-256 of.
        public var encoded: String

        public struct Member: Codable, Sendable {
            public var publicKey: String
            public var address: String
            public var power: UInt64
        }

        public init(height: UInt64, set: ValidatorSet) {
            self.height = height
            hash = set.hash.hex
            totalPower = set.totalPower
            validators = set.validators.map { Member(publicKey: $0.publicKey.hex, address: $0.publicKey.address.description, power: $0.power) }
            encoded = Hex.encode(set.canonicalBytes)
        }
    }

    /// `GET /api/v1/light-blocks/{height}`: a committed header with its seal and the set that
    /// signed it (CometBFT's LightBlock).
    public struct LightBlockView: Codable, Sendable {
        public var height: UInt64
        /// SHA-256 of `header`'s bytes.
        public var hash: String
        /// The header's canonical encoding, hex.
        public var header: String
        /// The seal's canonical encoding (a `Commit`), hex.
        public var commit: String
        public var validatorSet: ValidatorSetAtView

        public init(header: BlockHeader, commit: Commit, validators: ValidatorSet) {
            height = header.height
            hash = header.hash.hex
            self.header = Hex.encode(header.canonicalBytes)
            self.commit = Hex.encode(commit.canonicalBytes)
            validatorSet = ValidatorSetAtView(height: header.height, set: validators)
        }
    }
}
