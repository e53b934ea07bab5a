import AgoraCore

extension API {
    public struct HeartbeatRequest: Codable, Sendable {
        /// Hex of a `SignedHeartbeat`'s canonical bytes.
        public var heartbeat: String
        public init(heartbeat: String) { self.heartbeat = heartbeat }
    }

    public struct HeartbeatResponse: Codable, Sendable, Equatable {
        /// "accepted" or "duplicate" (this exact heartbeat was already held).
        public var status: String
        public var group: String
        public var member: String
        public var time: UInt64

        public init(status: String, group: String, member: String, time: UInt64) {
            self.status = status; self.group = group; self.member = member; self.time = time
        }
    }

    public struct GroupPresenceView: Codable, Sendable, Equatable {
        public var group: String
        public var intervalMs: UInt64
        /// A member is stale once its latest heartbeat is older than this (three intervals).
        public var staleAfterMs: UInt64
        public var online: Int
        public var members: [MemberView]

        /// One member as the node's presence service last heard it.
        public init(group: String, intervalMs: UInt64, staleAfterMs: UInt64, online: Int, members: [MemberView]) {
            self.group = group; self.intervalMs = intervalMs; self.staleAfterMs = staleAfterMs; self.online = online
            self.members = members
        }

        public struct MemberView: Codable, Sendable, Equatable {
            public var address: String
            public var publicKey: String
            /// The latest heartbeat's time (ms).
            public var lastSeen: UInt64
            public var status: String
            public var online: Bool
            /// "online" or "stale".
            public var state: String

            public init(address: String, publicKey: String, lastSeen: UInt64, status: String, online: Bool, state: String) {
                self.address = address; self.publicKey = publicKey; self.lastSeen = lastSeen; self.status = status
                self.online = online; self.state = state
            }
        }
    }
}
