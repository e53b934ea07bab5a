import AgoraCore

extension API {
    /// A state key's value at a height with everything a light client needs to check it without
    /// trusting the node (docs/state.md): the proof against the header's `stateRoot`, the header
    /// itself and the commit that finalised it (+2/3 precommit signatures of that height's
    /// validator set). `GET /api/v1/proofs/state`, and the `proof` field of reads asked with
    /// `?prove=true`. Binary fields are lowercase hex of canonical bytes; the JSON fields beside
    /// them say the same for a reader, the bytes are what a verifier checks.
    public struct StateProofView: Codable, Sendable, Equatable {
        /// The state key (hex).
        public var key: String
        public var height: UInt64
        /// The value's canonical bytes (hex); absent when the key holds nothing at `height`.
        public var value: String?
        /// The header's state root at `height` (hex).
        public var stateRoot: String
        /// `StateProof` canonical encoding (hex).
        public var proof: String
        /// The proof's contents: siblings from the root down (null = empty subtree) and how the
        /// path ends (`empty`, `leaf` for this key, `otherLeaf` with that key's hash and value hash).
        public var siblings: [String?]
        public var terminal: String
        public var otherKeyHash: String?
        public var otherValueHash: String?
        /// The block header at `height`, canonical encoding (hex), and its hash.
        public var header: String
        public var headerHash: String
        /// The commit that finalised the block, canonical encoding (hex), and as JSON.
        public var commitBytes: String
        public var commit: CommitView

        public init(key: [UInt8], height: UInt64, value: [UInt8]?, proof: StateProof, header: BlockHeader, commit: Commit) {
            self.key = Hex.encode(key)
            self.height = height
            self.value = value.map { Hex.encode($0) }
            stateRoot = header.stateRoot.hex
            self.proof = Hex.encode(proof.canonicalBytes)
            siblings = proof.siblings.map { $0?.hex }
            switch proof.terminal {
            case .empty: terminal = "empty"
            case .leaf: terminal = "leaf"
            case let .otherLeaf(k, v):
                terminal = "otherLeaf"
                otherKeyHash = k.hex
                otherValueHash = v.hex
            }
            self.header = Hex.encode(header.canonicalBytes)
            headerHash = header.hash.hex
            commitBytes = Hex.encode(commit.canonicalBytes)
            self.commit = CommitView(commit)
        }

        /// What the hex fields decode to, strictly: the key, value, proof, header and commit a
        /// verifier checks (the JSON mirrors are not trusted). Throws `StateProofViewError`.
        public func decoded() throws(StateProofViewError) -> Decoded {
            guard let key = Hex.decode(key) else { throw .badHex(field: "key") }
            var valueBytes: [UInt8]?
            if let value {
                guard let v = Hex.decode(value) else { throw .badHex(field: "value") }
                valueBytes = v
            }
            guard let proofBytes = Hex.decode(proof) else { throw .badHex(field: "proof") }
            guard let headerBytes = Hex.decode(header) else { throw .badHex(field: "header") }
            guard let commitRaw = Hex.decode(commitBytes) else { throw .badHex(field: "commitBytes") }
            let p: StateProof, h: BlockHeader, c: Commit
            do { p = try StateProof(canonicalBytes: proofBytes) } catch { throw .undecodable(field: "proof", error) }
            do { h = try BlockHeader(canonicalBytes: headerBytes) } catch { throw .undecodable(field: "header", error) }
            do { c = try Commit(canonicalBytes: commitRaw) } catch { throw .undecodable(field: "commitBytes", error) }
            return Decoded(key: key, value: valueBytes, proof: p, header: h, commit: c)
        }

        public struct Decoded: Sendable, Equatable {
            public var key: [UInt8]
            public var value: [UInt8]?
            public var proof: StateProof
            public var header: BlockHeader
            public var commit: Commit

            /// Checks the value against the header's state root (the commit is the caller's to
            /// check against a validator set it trusts).
            public func verifyProof() throws(StateProofError) {
                try proof.verify(key: key, value: value, root: header.stateRoot)
            }
        }
    }

    public enum StateProofViewError: Error, Equatable, Sendable, CustomStringConvertible {
        case badHex(field: String)
        case undecodable(field: String, CodecError)

        public var description: String {
            switch self {
            case let .badHex(f): return "\(f) is not lowercase hex"
            case let .undecodable(f, e): return "\(f) does not decode: \(e)"
            }
        }
    }
}
