import AgoraConsensus
import AgoraCore

/// What a validator must not forget about the height it is deciding when it restarts: the
/// block it locked on with the polka behind it, and the votes it signed at this height. The
/// sign state remembers only the last signature; without the lock a restarted validator could
/// precommit another block in a later round (seed 18016 of the simulator), and without its
/// earlier votes peers may wait for them forever. CometBFT recovers the same from its
/// consensus WAL. One small file, replaced atomically (`DurableFile`) before the precommit or
/// vote it protects is released.
public struct ConsensusJournal: Sendable, Equatable {
    public static let formatVersion: UInt8 = 1
    /// A journal holds at most a block and a polka: far below this.
    public static let maxFileBytes = 64 * 1024 * 1024
    public static let maxOwnVotes = 32

    public struct Lock: Sendable, Equatable {
        public var round: UInt32
        public var block: Block
        public var polka: [SignedVote]
    }

    public var height: UInt64
    public var lock: Lock?
    public var ownVotes: [SignedVote]

    public init(height: UInt64, lock: Lock? = nil, ownVotes: [SignedVote] = []) {
        self.height = height
        self.lock = lock
        self.ownVotes = ownVotes
    }

    public mutating func record(vote: SignedVote) {
        guard vote.vote.height == height, !ownVotes.contains(vote) else { return }
        ownVotes.append(vote)
        if ownVotes.count > ConsensusJournal.maxOwnVotes { ownVotes.removeFirst() }
    }

    public var bytes: [UInt8] {
        var w = CanonicalWriter()
        w.write(ConsensusJournal.formatVersion)
        w.write(height)
        if let lock {
            w.write(UInt8(1))
            w.write(lock.round)
            w.write(lock.block)
            w.writeArray(lock.polka)
        } else {
            w.write(UInt8(0))
        }
        w.writeArray(ownVotes)
        return w.bytes
    }

    public init(bytes: [UInt8]) throws(CodecError) {
        var r = CanonicalReader(bytes)
        let version = try r.readUInt8("journal.version")
        guard version == ConsensusJournal.formatVersion else { throw .unknownTag(type: "journal.version", tag: version) }
        height = try r.readUInt64("journal.height")
        switch try r.readUInt8("journal.hasLock") {
        case 0: lock = nil
        case 1:
            let round = try r.readUInt32("journal.lock.round")
            let block = try r.read(Block.self)
            let polka = try r.readArray(SignedVote.self, "journal.lock.polka", limit: Limits.maxValidators)
            lock = Lock(round: round, block: block, polka: polka)
        case let tag: throw .unknownTag(type: "journal.hasLock", tag: tag)
        }
        ownVotes = try r.readArray(SignedVote.self, "journal.ownVotes", limit: ConsensusJournal.maxOwnVotes)
        try r.finish("journal")
    }

    public enum Failure: Error, CustomStringConvertible {
        case io(DurableFile.Failure)
        case corrupt(path: String, CodecError)

        public var description: String {
            switch self {
            case let .io(f): return "consensus journal: \(f)"
            case let .corrupt(path, e): return "consensus journal \(path) is corrupt (\(e)); it is never reset silently — move it away only if this validator's sign state is intact"
            }
        }
    }

    public static func load(path: String) throws(Failure) -> ConsensusJournal? {
        let raw: [UInt8]?
        do { raw = try DurableFile.read(path, limit: maxFileBytes) } catch { throw .io(error) }
        guard let raw else { return nil }
        do { return try ConsensusJournal(bytes: raw) } catch { throw .corrupt(path: path, error) }
    }

    public func save(path: String) throws(Failure) {
        do { try DurableFile.store(bytes, at: path) } catch { throw .io(error) }
    }
}
