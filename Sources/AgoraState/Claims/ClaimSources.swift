import AgoraCore

/// What the market's royalties need to know about a claim that names sources (royalty parents):
/// the distinct authors of those sources, resolved once when the claim is published (sources
/// never change, and a sale then costs one read), and the hashes of the artifacts the claim
/// references (an offer may only name a claim its artifact is attached to). Stored under
/// `claims/s/` + claim ID, only for claims with sources, so older claim records keep their bytes.
public struct ClaimSources: Hashable, Sendable, CanonicalCodable {
    /// Distinct, sorted bytewise: the order royalties are paid in.
    public var authors: [Address]
    /// Sorted, unique (as the claim's artifact references are).
    public var artifacts: [Hash]

    public init(authors: [Address], artifacts: [Hash]) {
        self.authors = authors
        self.artifacts = artifacts
    }

    public func encode(to writer: inout CanonicalWriter) {
        writer.writeArray(authors)
        writer.writeArray(artifacts)
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        authors = try reader.readArray(Address.self, "sources.authors", limit: Limits.maxClaimSources)
        artifacts = try reader.readArray(Hash.self, "sources.artifacts", limit: Limits.maxClaimArtifacts)
    }
}

extension Claims {
    /// Resolves `sources` to their authors: nil and the failure when one does not exist.
    static func sourceAuthors(_ state: StateOverlay, _ sources: [Hash]) throws -> Result<[Address], ExecutionFailure> {
        var authors = Set<Address>()
        for s in sources {
            guard let record = try Groups.claim(state, s) else { return .failure(.sourceClaimNotFound(s)) }
            authors.insert(record.author)
        }
        return .success(authors.sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) })
    }

    static func sources(_ state: StateOverlay, _ claim: Hash) throws -> ClaimSources? {
        guard let raw = try state.get(GroupKeys.sources(claim)) else { return nil }
        return try Bank.decode(ClaimSources.self, raw, "claims/s")
    }

    public static func sources(_ claim: Hash, state: StateReader) throws -> ClaimSources? { try sources(StateOverlay(base: state), claim) }
}
