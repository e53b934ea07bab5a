import AgoraCore
import Foundation
import GRDB

/// The committed state at one height, held as an SQLite read transaction (a GRDB
/// `DatabaseSnapshot`): later blocks commit meanwhile and this view does not move, so a snapshot
/// is cut from exactly the state whose root is in that height's header, without ever holding the
/// writer. Opened under the chain's commit lock right after the height commits (`open` is a few
/// milliseconds), read in the background.
public final class StateReadSnapshot: Sendable {
    public let height: UInt64
    public let stateRoot: Hash
    let snapshot: DatabaseSnapshot

    init(height: UInt64, stateRoot: Hash, snapshot: DatabaseSnapshot) {
        self.height = height
        self.stateRoot = stateRoot
        self.snapshot = snapshot
    }

    /// The state's entries in key order, cut into chunks whose encoding stays within `maxBytes`
    /// (an entry larger than that alone gets a chunk of its own, up to the format's limit).
    public func chunks(maxBytes: Int, _ sink: (SnapshotChunk) throws -> Void) throws {
        do {
            try snapshot.read { db in
                let cursor = try Row.fetchCursor(db, sql: "SELECT key, value FROM state ORDER BY key")
                var entries: [SnapshotChunk.Entry] = []
                var size = SnapshotChunk.headerBytes
                while let row = try cursor.next() {
                    let key: Data = try row.stored("key", of: "state row")
                    let value: Data = try row.stored("value", of: "state row \(key.hexPrefix)")
                    let entry = SnapshotChunk.Entry(key: Array(key), value: Array(value))
                    if !entries.isEmpty, size + entry.encodedSize > maxBytes {
                        try sink(SnapshotChunk(entries: entries))
                        entries.removeAll(keepingCapacity: true)
                        size = SnapshotChunk.headerBytes
                    }
                    entries.append(entry)
                    size += entry.encodedSize
                }
                if !entries.isEmpty { try sink(SnapshotChunk(entries: entries)) }
            }
        } catch let e as SnapshotFiles.FileError {
            throw e
        } catch let e as StorageError {
            throw e
        } catch {
            throw StorageError.sqlite(operation: "snapshot read at \(height)", reason: "\(error)")
        }
    }
}

extension BlockStore {
    /// A read view of the state as committed now; nil if the head is not `height` (a later block
    /// committed first: that height's snapshot is skipped rather than cut from the wrong state).
    public func openStateSnapshot(height: UInt64) throws -> StateReadSnapshot? {
        let snap: DatabaseSnapshot
        do { snap = try pool.makeSnapshot() } catch { throw classify(error, operation: "open state snapshot") }
        let head = try snap.read { db in try self.head(db) }
        guard head.height == height else { return nil }
        return StateReadSnapshot(height: height, stateRoot: head.stateRoot, snapshot: snap)
    }
}
