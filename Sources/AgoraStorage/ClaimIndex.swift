import AgoraCore
import AgoraState
import Foundation
import GRDB

/// The node's indexes of the groups and claims modules: every successful `publishClaim` as a row
/// keyed by its transaction's position (with its tags in `claim_tags`, its thread root, and its
/// words in the retrieval index `claim_words`), a `retractClaim` as a mark on that row and the
/// removal of its words, and every membership change as a row keyed by height. Both are written inside the block's commit
/// transaction, from the block and its receipts alone, so they can never disagree with the chain
/// and a crash leaves them exactly as complete as the blocks. They serve the queries state
/// cannot: claims by time, author, tag and thread, and membership at a past height.
struct ClaimIndex: BlockIndexer {
    func index(_ db: Database, _ batch: BlockStore.CommitBatch) throws {
        try ClaimIndex.index(db, IndexedTransactions(block: batch.block, receipts: batch.receipts))
    }

    static func index(_ db: Database, _ txs: IndexedTransactions) throws {
        let height = txs.height
        let time = txs.time
        var insertClaim: Statement?
        var insertTag: Statement?
        var insertRole: Statement?
        var insertArtifact: Statement?
        func role(_ group: Hash, _ address: Address, _ role: GroupRole?) throws {
            if insertRole == nil {
                insertRole = try db.cachedStatement(sql: "INSERT OR REPLACE INTO group_roles(group_id, address, height, role) VALUES (?, ?, ?, ?)")
            }
            insertRole!.setUncheckedArguments([Data(group.bytes), Data(address.bytes), Int64(height), Int(role?.rawValue ?? 0)])
            try insertRole!.execute()
        }
        for (i, tx) in txs.items {
            switch tx.body.payload {
            case .createGroup:
                try role(LedgerID.group(creator: tx.sender, nonce: tx.body.nonce), tx.sender, .admin)
            case let .addGroupMember(group, member, r), let .setGroupRole(group, member, r):
                try role(group, member, r)
            case let .removeGroupMember(group, member):
                try role(group, member, nil)
            case let .retractClaim(claim, reason):
                try retract(db, claim: claim, reason: reason, height: height)
            case let .publishClaim(content):
                let position = Schema.position(height: height, index: i)
                let id = LedgerID.claim(author: tx.sender, nonce: tx.body.nonce)
                var root = id
                if let parent = content.parent {
                    // The parent is committed or earlier in this block: state checked it exists.
                    root = try Data.fetchOne(db, sql: "SELECT root FROM claims WHERE id = ?", arguments: [Data(parent.bytes)])
                        .flatMap { Hash(bytes: $0) } ?? parent
                }
                if insertClaim == nil {
                    insertClaim = try db.cachedStatement(sql: "INSERT INTO claims(position, id, group_id, author, parent, root, time) VALUES (?, ?, ?, ?, ?, ?, ?)")
                }
                insertClaim!.setUncheckedArguments([position, Data(id.bytes), Data(content.group.bytes), Data(tx.sender.bytes),
                                                    content.parent.map { Data($0.bytes) }, Data(root.bytes), time])
                try insertClaim!.execute()
                for tag in content.tags {
                    if insertTag == nil {
                        insertTag = try db.cachedStatement(sql: "INSERT INTO claim_tags(group_id, tag, time, position) VALUES (?, ?, ?, ?)")
                    }
                    insertTag!.setUncheckedArguments([Data(content.group.bytes), tag, time, position])
                    try insertTag!.execute()
                }
                try addWords(db, group: content.group, position: position, content: content)
                for artifact in content.artifacts {
                    if insertArtifact == nil {
                        insertArtifact = try db.cachedStatement(sql: "INSERT INTO claim_artifacts(sha256, group_id, position) VALUES (?, ?, ?)")
                    }
                    insertArtifact!.setUncheckedArguments([Data(artifact.sha256.bytes), Data(content.group.bytes), position])
                    try insertArtifact!.execute()
                }
            default:
                continue
            }
        }
    }
}

extension ClaimIndex {
    /// Adds a claim's words (text and tags, `ClaimWords`) to its group's retrieval index.
    static func addWords(_ db: Database, group: Hash, position: Int64, content: ClaimContent) throws {
        let words = ClaimWords.counts(text: content.text, tags: content.tags)
        guard !words.isEmpty else { return }
        let length = words.reduce(0) { $0 + $1.count }
        let g = Data(group.bytes)
        let insert = try db.cachedStatement(sql: "INSERT OR REPLACE INTO claim_words(group_id, word, position, tf, length) VALUES (?, ?, ?, ?, ?)")
        let df = try db.cachedStatement(sql: """
            INSERT INTO claim_word_df(group_id, word, df) VALUES (?, ?, 1) ON CONFLICT(group_id, word) DO UPDATE SET df = df + 1
            """)
        for (w, c) in words {
            insert.setUncheckedArguments([g, w, position, c, length])
            try insert.execute()
            df.setUncheckedArguments([g, w])
            try df.execute()
        }
        let book = try db.cachedStatement(sql: """
            INSERT INTO claim_book(group_id, docs, total_length) VALUES (?, 1, ?)
            ON CONFLICT(group_id) DO UPDATE SET docs = docs + 1, total_length = total_length + excluded.total_length
            """)
        book.setUncheckedArguments([g, length])
        try book.execute()
    }

    /// Marks a claim retracted and takes its words out of the retrieval index (recomputed from
    /// its transaction, so no reverse index is kept for this rare step).
    static func retract(_ db: Database, claim: Hash, reason: String, height: UInt64) throws {
        guard let position = try Int64.fetchOne(db, sql: "SELECT position FROM claims WHERE id = ?", arguments: [Data(claim.bytes)]) else {
            throw StorageError.corrupt(what: "retracted claim \(claim) has no index row")
        }
        try db.execute(sql: "UPDATE claims SET retracted_at = ?, retraction = ? WHERE position = ?", arguments: [Int64(height), reason, position])
        guard let bytes = try Data.fetchOne(db, sql: "SELECT bytes FROM transactions WHERE position = ?", arguments: [position]),
              let tx = try? Transaction(bytes: Array(bytes)), case let .publishClaim(content) = tx.body.payload else {
            throw StorageError.corrupt(what: "claim transaction at \(position)")
        }
        let words = ClaimWords.counts(text: content.text, tags: content.tags)
        guard !words.isEmpty else { return }
        let g = Data(content.group.bytes)
        for (w, _) in words {
            try db.execute(sql: "DELETE FROM claim_words WHERE group_id = ? AND word = ? AND position = ?", arguments: [g, w, position])
            try db.execute(sql: "UPDATE claim_word_df SET df = df - 1 WHERE group_id = ? AND word = ?", arguments: [g, w])
            try db.execute(sql: "DELETE FROM claim_word_df WHERE group_id = ? AND word = ? AND df <= 0", arguments: [g, w])
        }
        try db.execute(sql: "UPDATE claim_book SET docs = docs - 1, total_length = total_length - ? WHERE group_id = ?",
                       arguments: [words.reduce(0) { $0 + $1.count }, g])
    }

    /// The migration's step for a database that already holds claims: indexes their words in
    /// chain order, a thousand at a time.
    static func backfillWords(_ db: Database) throws {
        var after: Int64 = -1
        while true {
            let rows = try Row.fetchAll(db, sql: """
                SELECT c.position, t.bytes FROM claims c JOIN transactions t ON t.position = c.position
                WHERE c.position > ? ORDER BY c.position LIMIT 1000
                """, arguments: [after])
            guard let last = rows.last else { return }
            for r in rows {
                let position: Int64 = try r.stored("position", of: "claim row")
                let bytes: Data = try r.stored("bytes", of: "claim transaction at \(position)")
                guard let tx = try? Transaction(bytes: Array(bytes)), case let .publishClaim(content) = tx.body.payload else {
                    throw StorageError.corrupt(what: "claim transaction at \(position)")
                }
                try addWords(db, group: content.group, position: position, content: content)
            }
            after = try last.stored("position", of: "claim row")
        }
    }
}

/// A claim as the index serves it: the content from its transaction plus where and when it
/// was committed.
public struct IndexedClaim: Sendable, Equatable {
    public var id: Hash
    public var author: Address
    public var content: ClaimContent
    /// The first claim of the thread (the claim itself when it has no parent).
    public var root: Hash
    public var height: UInt64
    public var index: Int
    /// The block's timestamp (ms).
    public var time: UInt64
    public var transaction: Hash
    /// The paging cursor: the position of the claim's transaction in the chain.
    public var position: Int64
    /// Set once its author retracted it.
    public var retraction: ClaimRetraction?
}

/// When and why an author retracted a claim.
public struct ClaimRetraction: Sendable, Equatable {
    public var height: UInt64
    public var reason: String
}

extension BlockStore {
    public struct ClaimQuery: Sendable {
        public var group: Hash
        /// Only claims in blocks with a timestamp ≥ this (ms).
        public var since: UInt64
        public var author: Address?
        public var tag: String?
        /// Only claims after this position (the previous page's `position` of its last claim).
        public var after: Int64?
        /// Only claims in blocks after this height: what a member missed since it last looked.
        public var afterHeight: UInt64?
        /// Retracted claims too (left out by default).
        public var includeRetracted = false
        public var limit: Int

        public init(group: Hash, since: UInt64 = 0, author: Address? = nil, tag: String? = nil, after: Int64? = nil, limit: Int) {
            self.group = group
            self.since = since
            self.author = author
            self.tag = tag
            self.after = after
            self.limit = limit
        }
    }

    /// A group's claims in chain order (oldest first), filtered. Block time grows with position,
    /// so a cursor is turned into a time bound as well: every query is one index range seek,
    /// however deep the page.
    public func claims(_ q: ClaimQuery) throws -> [IndexedClaim] {
        try read("list claims") { db in
            var lower = Int64(clamping: q.since)
            var after = q.after ?? -1
            if let h = q.afterHeight { after = max(after, Schema.position(height: h + 1, index: 0) - 1) }
            if let a = q.after, let t = try Int64.fetchOne(db, sql: "SELECT time FROM claims WHERE position = ?", arguments: [a]) {
                lower = max(lower, t)
            }
            // Block times only grow, so the time of the block after the height bounds the time
            // too, keeping the query one index range seek however long the group's history.
            if let h = q.afterHeight {
                guard let t = try Int64.fetchOne(db, sql: "SELECT timestamp FROM blocks WHERE height = ?", arguments: [Int64(clamping: h + 1)]) else {
                    return []  // nothing committed after that height yet
                }
                lower = max(lower, t)
            }
            let select = "SELECT c.position, c.id, c.author, c.root, c.time, c.retracted_at, c.retraction, t.bytes, t.id AS tx FROM claims c JOIN transactions t ON t.position = c.position"
            let sql: String
            var args: [(any DatabaseValueConvertible)?] = []
            // Retracted claims are rare: filtering them on the rows of the range costs nothing.
            let live = q.includeRetracted ? "" : " AND c.retracted_at IS NULL"
            if let tag = q.tag {
                sql = """
                    \(select) JOIN claim_tags g ON g.position = c.position
                    WHERE g.group_id = ? AND g.tag = ? AND g.time >= ? AND g.position > ?\(q.author == nil ? "" : " AND c.author = ?")\(live)
                    ORDER BY g.time, g.position LIMIT ?
                    """
                args = [Data(q.group.bytes), tag, lower, after]
            } else if q.author != nil {
                sql = "\(select) WHERE c.group_id = ? AND c.author = ? AND c.time >= ? AND c.position > ?\(live) ORDER BY c.time, c.position LIMIT ?"
                args = [Data(q.group.bytes), Data(q.author!.bytes), lower, after]
            } else {
                sql = "\(select) WHERE c.group_id = ? AND c.time >= ? AND c.position > ?\(live) ORDER BY c.time, c.position LIMIT ?"
                args = [Data(q.group.bytes), lower, after]
            }
            if q.tag != nil, let author = q.author { args.append(Data(author.bytes)) }
            args.append(q.limit)
            return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args)).map(self.indexedClaim)
        }
    }

    /// Artifact references of claims after chain position `after`, in chain order, with the
    /// position of the claim that made each (for a resumable walk), at most `limit` claims.
    public func claimArtifacts(after: Int64, limit: Int) throws -> [(position: Int64, artifact: ArtifactRef)] {
        try read("claim artifacts") { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT t.position, t.bytes FROM transactions t WHERE t.position IN
                  (SELECT DISTINCT position FROM claim_artifacts WHERE position > ? ORDER BY position LIMIT ?)
                ORDER BY t.position
                """, arguments: [after, limit])
            var out: [(Int64, ArtifactRef)] = []
            for row in rows {
                let position: Int64 = try row.stored("position", of: "claim artifact row")
                let bytes: Data = try row.stored("bytes", of: "claim transaction at \(position)")
                guard let tx = try? Transaction(bytes: Array(bytes)), case let .publishClaim(content) = tx.body.payload else {
                    throw StorageError.corrupt(what: "claim transaction at \(position)")
                }
                for a in content.artifacts { out.append((position, a)) }
            }
            return out
        }
    }

    public func claim(id: Hash) throws -> IndexedClaim? {
        try read("claim \(id)") { db in
            try Row.fetchOne(db, sql: """
                SELECT c.position, c.id, c.author, c.root, c.time, c.retracted_at, c.retraction, t.bytes, t.id AS tx FROM claims c
                JOIN transactions t ON t.position = c.position WHERE c.id = ?
                """, arguments: [Data(id.bytes)]).map(self.indexedClaim)
        }
    }

    /// The claims of the thread that starts at `root`, in chain order, after position `after`
    /// (retracted ones only with `includeRetracted`).
    public func thread(root: Hash, after: Int64?, limit: Int, includeRetracted: Bool = false) throws -> [IndexedClaim] {
        try read("thread \(root)") { db in
            try Row.fetchAll(db, sql: """
                SELECT c.position, c.id, c.author, c.root, c.time, c.retracted_at, c.retraction, t.bytes, t.id AS tx FROM claims c
                JOIN transactions t ON t.position = c.position WHERE c.root = ? AND c.position > ?\(includeRetracted ? "" : " AND c.retracted_at IS NULL")
                ORDER BY c.position LIMIT ?
                """, arguments: [Data(root.bytes), after ?? -1, limit]).map(self.indexedClaim)
        }
    }

    /// `address`'s role in `group` as block `height` left it (nil: not a member then). This is
    /// what off-chain services (the artifact store) check for a past height; rules executing in
    /// a block use `Groups.role(of:in:state:)` on the state they execute on.
    public func role(in group: Hash, of address: Address, atHeight height: UInt64) throws -> GroupRole? {
        try read("group role") { db in
            let raw = try Int.fetchOne(db, sql: """
                SELECT role FROM group_roles WHERE group_id = ? AND address = ? AND height <= ? ORDER BY height DESC LIMIT 1
                """, arguments: [Data(group.bytes), Data(address.bytes), Int64(clamping: height)])
            return raw.flatMap { GroupRole(rawValue: UInt8(clamping: $0)) }
        }
    }

    /// Whether `address` was a member of `group` (any role, observers included) after block `height`.
    public func isMember(group: Hash, address: Address, atHeight height: UInt64) throws -> Bool {
        try role(in: group, of: address, atHeight: height) != nil
    }

    /// The groups with at least one claim referencing `artifact`, in ID order (at most `limit`):
    /// with `isMember` this is what an artifact access policy needs ("members of a group that
    /// references it may read it").
    public func groups(referencing artifact: Hash, limit: Int = 100) throws -> [Hash] {
        try read("artifact groups") { db in
            try Data.fetchAll(db, sql: "SELECT DISTINCT group_id FROM claim_artifacts WHERE sha256 = ? ORDER BY group_id LIMIT ?",
                              arguments: [Data(artifact.bytes), limit]).compactMap { Hash(bytes: $0) }
        }
    }

    /// Groups in ID order after `after`.
    public func groups(after: Hash?, limit: Int) throws -> [(Hash, GroupRecord)] {
        try stateRange(prefix: GroupKeys.groupPrefix, after: after?.bytes, limit: limit) { (suffix, value) -> (Hash, GroupRecord)? in
            guard let id = Hash(bytes: suffix) else { return nil }
            return (id, try self.decode(GroupRecord.self, value, "group \(id)"))
        }
    }

    /// A group's current and former members in address order after `after`.
    public func members(of group: Hash, after: Address?, limit: Int) throws -> [(Address, GroupMembership)] {
        try stateRange(prefix: GroupKeys.members(of: group), after: after?.bytes, limit: limit) { (suffix, value) -> (Address, GroupMembership)? in
            guard suffix.count == Address.size else { return nil }
            let address = Address(raw: suffix)
            return (address, try self.decode(GroupMembership.self, value, "membership \(address)"))
        }
    }

    func stateRange<T>(prefix: [UInt8], after: [UInt8]?, limit: Int, _ row: @escaping ([UInt8], Data) throws -> T?) throws -> [T] {
        // The first key after every key with this prefix: drop trailing 0xFF bytes, add one to
        // the last (a prefix ending in an ID or address can end in 0xFF).
        var end = prefix
        while end.last == 0xFF { end.removeLast() }
        end[end.count - 1] += 1
        let start = after.map { prefix + $0 } ?? prefix
        return try read("state range") { db in
            try Row.fetchAll(db, sql: "SELECT key, value FROM state WHERE key > ? AND key < ? ORDER BY key LIMIT ?",
                             arguments: [Data(start), Data(end), limit]).compactMap { r in
                let key: Data = try r.stored("key", of: "state row")
                return try row(Array(key.dropFirst(prefix.count)), try r.stored("value", of: "state row \(key.hexPrefix)"))
            }
        }
    }

    func indexedClaim(_ row: Row) throws -> IndexedClaim {
        let position: Int64 = try row.stored("position", of: "claim index row")
        let what = "claim at \(position)"
        let bytes: Data = try row.stored("bytes", of: what)
        let tx: Transaction
        do { tx = try Transaction(bytes: Array(bytes)) } catch { throw StorageError.corrupt(what: "claim transaction at \(position): \(error)") }
        guard case let .publishClaim(content) = tx.body.payload,
              let id = Hash(bytes: try row.stored("id", of: what, as: Data.self)), let root = Hash(bytes: try row.stored("root", of: what, as: Data.self))
        else { throw StorageError.corrupt(what: "claim index row at \(position)") }
        let (height, index) = Schema.split(position)
        let time: Int64 = try row.stored("time", of: what)
        var retraction: ClaimRetraction?
        if let at = try row.storedIfPresent("retracted_at", of: what, as: Int64.self) {
            retraction = ClaimRetraction(height: UInt64(clamping: at), reason: try row.storedIfPresent("retraction", of: what, as: String.self) ?? "")
        }
        return IndexedClaim(id: id, author: tx.sender, content: content, root: root, height: height, index: index,
                            time: UInt64(time), transaction: tx.id, position: position, retraction: retraction)
    }
}
