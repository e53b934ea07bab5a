import AgoraCore

extension API {
    public struct TaskView: Codable, Sendable, Equatable {
        /// With `?prove=true`: the record's state key, canonical value and proof at the head,
        /// with that height's header and commit (docs/state.md).
        public var proof: StateProofView? = nil
        public var id: String
        public var group: String
        public var creator: String
        public var title: String
        public var description: String
        /// Escrowed at creation, paid to the assignee on completion.
        public var reward: UInt64
        /// Block time (ms), or null.
        public var deadline: UInt64?
        public var artifacts: [ClaimView.ArtifactView]
        /// null while pending.
        public var assignee: String?
        /// pending, assigned, in_progress, completed, failed, cancelled or expired.
        public var state: String
        /// Not final and the head block's time has reached the deadline: only cancel and expire remain.
        public var overdue: Bool
        public var height: UInt64
        public var createdTime: UInt64
        public var updatedTime: UInt64
        /// The creating transaction.
        public var transaction: String
        /// Set once completed.
        public var result: ResultView?
        /// Set once failed (may be empty).
        public var failReason: String?

        public init(id: String, group: String, creator: String, title: String, description: String, reward: UInt64,
                    deadline: UInt64? = nil, artifacts: [ClaimView.ArtifactView], assignee: String? = nil, state: String,
                    overdue: Bool, height: UInt64, createdTime: UInt64, updatedTime: UInt64, transaction: String,
                    result: ResultView? = nil, failReason: String? = nil) {
            self.id = id; self.group = group; self.creator = creator; self.title = title; self.description = description
            self.reward = reward; self.deadline = deadline; self.artifacts = artifacts; self.assignee = assignee
            self.state = state; self.overdue = overdue; self.height = height; self.createdTime = createdTime
            self.updatedTime = updatedTime; self.transaction = transaction; self.result = result; self.failReason = failReason
        }

        public struct ResultView: Codable, Sendable, Equatable {
            public var text: String
            public var artifacts: [ClaimView.ArtifactView]

            public init(text: String, artifacts: [ClaimView.ArtifactView]) {
                self.text = text; self.artifacts = artifacts
            }
        }

        public func encode(to encoder: Encoder) throws {
            // Explicit nulls for the optional fields, as the OpenAPI document promises.
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id); try c.encode(group, forKey: .group); try c.encode(creator, forKey: .creator)
            try c.encode(title, forKey: .title); try c.encode(description, forKey: .description); try c.encode(reward, forKey: .reward)
            try c.encode(deadline, forKey: .deadline); try c.encode(artifacts, forKey: .artifacts); try c.encode(assignee, forKey: .assignee)
            try c.encode(state, forKey: .state); try c.encode(overdue, forKey: .overdue); try c.encode(height, forKey: .height)
            try c.encode(createdTime, forKey: .createdTime); try c.encode(updatedTime, forKey: .updatedTime)
            try c.encode(transaction, forKey: .transaction); try c.encode(result, forKey: .result); try c.encode(failReason, forKey: .failReason)
            try c.encodeIfPresent(proof, forKey: .proof)  // ?prove=true
        }
    }
}
