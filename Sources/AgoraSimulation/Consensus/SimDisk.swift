// SimDisk owns the simulated validator's storage under faults (`--storage-faults`), the way
// TigerBeetle's VOPR has them: a write can fail, the disk can acknowledge an fsync it did not do
// (the tail written since the last real one is lost on a crash), and a page can come back
// corrupted. Two stores sit on it: the signing journal (the sign state, as the node keeps it in a
// JSON file) and the block store (each decided block with its commit, canonical bytes). The
// consensus WAL of own signed messages (`SimNode.wal`) is the one record assumed honest: it is
// what a restarted validator checks its journal against.
import AgoraConsensus
import AgoraCore
import Foundation
import Synchronization

/// How often each storage fault happens in one run, drawn from the seed.
public struct StorageFaults: Hashable, Sendable {
    /// Per write: the write fails (journal: the signature is refused; block store: the node stops).
    public var writeFailurePerMille: UInt64
    /// Per write: the disk acknowledges the fsync without doing it; a crash loses this write and
    /// everything after it that was not really synced.
    public var lyingFsyncPerMille: UInt64
    /// Per crash: a random stored record (journal or block) comes back with a flipped byte.
    public var corruptionPerMille: UInt64

    static func draw(_ rng: inout SplitMix64) -> StorageFaults {
        StorageFaults(writeFailurePerMille: rng.next() % 15, lyingFsyncPerMille: 100 + rng.next() % 500,
                      corruptionPerMille: 200 + rng.next() % 600)
    }
}

/// An append-only record log on a faulty disk: `durable` records survive a crash, the rest are
/// lost; a crash may also flip a byte in a surviving record.
struct FaultyLog: Sendable {
    private(set) var records: [[UInt8]] = []
    private(set) var durable = 0
    var rng: SplitMix64
    let faults: StorageFaults

    init(seed: UInt64, faults: StorageFaults) {
        rng = SplitMix64(seed: seed)
        self.faults = faults
    }

    enum WriteError: Error { case failed }

    mutating func append(_ record: [UInt8]) throws(WriteError) {
        if rng.next() % 1000 < faults.writeFailurePerMille { throw .failed }
        records.append(record)
        // A lying fsync leaves `durable` behind; a real one covers everything before it too.
        if rng.next() % 1000 >= faults.lyingFsyncPerMille { durable = records.count }
    }

    /// Keeps the journal's log short: only its last records are ever read.
    mutating func forget(keeping count: Int) {
        guard records.count > count * 2 else { return }
        let drop = records.count - count
        records.removeFirst(drop)
        durable = max(0, durable - drop)
    }

    /// Flips a byte of a stored record — the last one half the time, since that is the one a
    /// journal load reads. False when there is nothing to damage.
    mutating func corrupt() -> Bool {
        guard !records.isEmpty else { return false }
        let r = rng.next() % 2 == 0 ? records.count - 1 : Int(rng.next() % UInt64(records.count))
        guard !records[r].isEmpty else { return false }
        let at = Int(rng.next() % UInt64(records[r].count))
        records[r][at] ^= UInt8(1 + rng.next() % 255)
        return true
    }

    /// A page going bad while the node runs: per call (a gossip tick), with a two-hundredth
    /// of the per-crash odds.
    mutating func maybeCorruptAtRest() -> Bool {
        rng.next() % 200_000 < faults.corruptionPerMille ? corrupt() : false
    }

    /// Loses the unsynced tail; sometimes corrupts a survivor. Returns how many records were lost
    /// and whether one was corrupted.
    mutating func crash() -> (lost: Int, corrupted: Bool) {
        let lost = records.count - durable
        records.removeLast(lost)
        guard rng.next() % 1000 < faults.corruptionPerMille else { return (lost, false) }
        return (lost, corrupt())
    }

    /// Drops records from `index` on (a damaged block and what follows it).
    mutating func truncate(to count: Int) {
        records.removeLast(records.count - count)
        durable = min(durable, count)
    }
}

/// The signing journal on the faulty disk, in the node's own file format (`FileSignStateStore`'s
/// JSON): `load` gives the last record that survived, damaged or not — judging it is the guard's job.
final class SimJournal: SignStateStore {
    private let log: Mutex<FaultyLog>

    init(seed: UInt64, faults: StorageFaults) { log = Mutex(FaultyLog(seed: seed, faults: faults)) }

    func load() throws(SignStateError) -> SignState? {
        guard let bytes = log.withLock({ $0.records.last }) else { return nil }
        do { return try JSONDecoder().decode(SignState.self, from: Data(bytes)) } catch {
            throw .corrupt(reason: "journal record does not parse: \(error)")
        }
    }

    func save(_ state: SignState) throws(SignStateError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(state) else { throw .corrupt(reason: "cannot encode") }
        do {
            try log.withLock { log throws(FaultyLog.WriteError) in
                try log.append(Array(data))
                log.forget(keeping: 64)
            }
        } catch {
            throw .io(operation: "write", path: "sim-journal", errno: 5)
        }
    }

    func crash() -> (lost: Int, corrupted: Bool) { log.withLock { $0.crash() } }
}
