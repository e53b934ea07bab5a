import AgoraCore

extension API {
    public struct ValidatorsView: Codable, Sendable {
        /// The committed head the sets are relative to.
        public var height: UInt64
        public var admin: String?
        public var params: StakingParamsView
        /// The set that signs `height + 1`.
        public var active: SetView
        /// The set that signs `height + 2` (today's changes included).
        public var next: SetView

        public init(height: UInt64, admin: String? = nil, params: StakingParamsView, active: SetView, next: SetView) {
            self.height = height; self.admin = admin; self.params = params; self.active = active; self.next = next
        }

        public struct StakingParamsView: Codable, Sendable {
            public var minBond: UInt64
            public var doubleSignSlashBps: UInt16
            public var maxEvidenceAge: UInt64

            public init(minBond: UInt64, doubleSignSlashBps: UInt16, maxEvidenceAge: UInt64) {
                self.minBond = minBond; self.doubleSignSlashBps = doubleSignSlashBps; self.maxEvidenceAge = maxEvidenceAge
            }
        }

        public struct SetView: Codable, Sendable {
            public var height: UInt64
            public var hash: String
            public var totalPower: UInt64
            public var validators: [ValidatorView]

            public init(height: UInt64, hash: String, totalPower: UInt64, validators: [ValidatorView]) {
                self.height = height; self.hash = hash; self.totalPower = totalPower; self.validators = validators
            }
        }

        public struct ValidatorView: Codable, Sendable {
            public var publicKey: String
            public var address: String
            public var power: UInt64
            public var bond: UInt64
            /// "active", "inactive", "rotated" or "tombstoned" (see docs/staking.md).
            public var status: String

            public init(publicKey: String, address: String, power: UInt64, bond: UInt64, status: String) {
                self.publicKey = publicKey; self.address = address; self.power = power; self.bond = bond; self.status = status
            }
        }
    }
}
