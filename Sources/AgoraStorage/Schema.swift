import GRDB

/// The SQLite schema, as GRDB migrations so that later versions extend it in order.
/// Tables hold canonical bytes (headers, transactions, receipts, state values): the database is a
/// store of the ledger's own encoding, never a second source of truth in another format.
enum Schema {
    /// A transaction's row key is its position, height * 2^20 + index: rows append in chain
    /// order (cheap inserts, block bodies read as one range) and the ID lives in a unique index.
    static func position(height: UInt64, index: Int) -> Int64 { Int64(height) << 20 | Int64(index) }
    static func split(_ position: Int64) -> (height: UInt64, index: Int) { (UInt64(position >> 20), Int(position & 0xFFFFF)) }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1-ledger") { db in
            try db.execute(sql: """
                CREATE TABLE meta(key TEXT PRIMARY KEY NOT NULL, value BLOB NOT NULL) WITHOUT ROWID;
                CREATE TABLE blocks(
                    height INTEGER PRIMARY KEY NOT NULL,
                    hash BLOB NOT NULL UNIQUE,
                    header BLOB NOT NULL,
                    seal BLOB NOT NULL,
                    tx_count INTEGER NOT NULL,
                    timestamp INTEGER NOT NULL);
                CREATE TABLE transactions(
                    position INTEGER PRIMARY KEY NOT NULL,
                    id BLOB NOT NULL,
                    sender BLOB NOT NULL,
                    bytes BLOB NOT NULL,
                    receipt BLOB NOT NULL);
                CREATE UNIQUE INDEX transactions_by_id ON transactions(id);
                CREATE INDEX transactions_by_sender ON transactions(sender, position);
                CREATE TABLE state(key BLOB PRIMARY KEY NOT NULL, value BLOB NOT NULL) WITHOUT ROWID;
                """)
        }
        m.registerMigration("v2-peers") { db in
            try db.execute(sql: """
                CREATE TABLE peers(
                    peer_id BLOB PRIMARY KEY NOT NULL,
                    identity BLOB NOT NULL,
                    address TEXT NOT NULL,
                    score REAL NOT NULL,
                    banned_until INTEGER NOT NULL,
                    last_seen INTEGER NOT NULL) WITHOUT ROWID;
                """)
        }
        m.registerMigration("v3-groups-claims") { db in
            // Indexes of the groups and claims modules, derived at commit from each block's
            // successful transactions (see ClaimIndex.swift). A claim's row key is its
            // transaction's position, so its content is one primary-key read away.
            try db.execute(sql: """
                CREATE TABLE claims(
                    position INTEGER PRIMARY KEY NOT NULL,
                    id BLOB NOT NULL UNIQUE,
                    group_id BLOB NOT NULL,
                    author BLOB NOT NULL,
                    parent BLOB,
                    root BLOB NOT NULL,
                    time INTEGER NOT NULL);
                CREATE INDEX claims_by_group_time ON claims(group_id, time, position);
                CREATE INDEX claims_by_group_author ON claims(group_id, author, time, position);
                CREATE INDEX claims_by_root ON claims(root, position);
                CREATE TABLE claim_tags(
                    group_id BLOB NOT NULL,
                    tag TEXT NOT NULL,
                    time INTEGER NOT NULL,
                    position INTEGER NOT NULL,
                    PRIMARY KEY(group_id, tag, time, position)) WITHOUT ROWID;
                CREATE TABLE claim_artifacts(
                    sha256 BLOB NOT NULL,
                    group_id BLOB NOT NULL,
                    position INTEGER NOT NULL,
                    PRIMARY KEY(sha256, group_id, position)) WITHOUT ROWID;
                CREATE TABLE group_roles(
                    group_id BLOB NOT NULL,
                    address BLOB NOT NULL,
                    height INTEGER NOT NULL,
                    role INTEGER NOT NULL,
                    PRIMARY KEY(group_id, address, height)) WITHOUT ROWID;
                """)
        }
        m.registerMigration("v4-tasks") { db in
            // Index of the tasks module (see TaskIndex.swift): one row per task, keyed by its
            // creating transaction's position (creation order is the paging order); each
            // filter combination has an index ending in position, so a page is one range seek.
            try db.execute(sql: """
                CREATE TABLE tasks(
                    position INTEGER PRIMARY KEY NOT NULL,
                    id BLOB NOT NULL UNIQUE,
                    group_id BLOB NOT NULL,
                    creator BLOB NOT NULL,
                    assignee BLOB,
                    state INTEGER NOT NULL,
                    reward INTEGER NOT NULL,
                    deadline INTEGER,
                    created_time INTEGER NOT NULL,
                    updated_position INTEGER NOT NULL,
                    updated_time INTEGER NOT NULL);
                CREATE INDEX tasks_by_group ON tasks(group_id, position);
                CREATE INDEX tasks_by_group_state ON tasks(group_id, state, position);
                CREATE INDEX tasks_by_assignee_state ON tasks(assignee, state, position);
                CREATE INDEX tasks_by_state ON tasks(state, position);
                """)
        }
        m.registerMigration("v5-claim-artifacts-by-position") { db in
            // The artifact fetcher walks claims' artifact references in chain order from a
            // saved position (ArtifactFetcher); without this it would scan the whole table.
            try db.execute(sql: "CREATE INDEX claim_artifacts_by_position ON claim_artifacts(position)")
        }
        m.registerMigration("v5-intents") { db in
            // The intents module's index (IntentIndex.swift): intents with their structured terms
            // and status, an inverted index of the words of open intents per group and kind (the
            // mediator's candidate retrieval: one primary-key range per query word), document
            // frequencies and book sizes for BM25, and settlements by mediator and by party.
            try db.execute(sql: """
                CREATE TABLE intents(
                    position INTEGER PRIMARY KEY NOT NULL,
                    id BLOB NOT NULL UNIQUE,
                    group_id BLOB NOT NULL,
                    author BLOB NOT NULL,
                    kind INTEGER NOT NULL,
                    asset TEXT NOT NULL,
                    deadline INTEGER NOT NULL,
                    length INTEGER NOT NULL,
                    status INTEGER NOT NULL,
                    settlement BLOB);
                CREATE INDEX intents_by_group_status ON intents(group_id, status, position);
                CREATE INDEX intents_by_author ON intents(author, position);
                CREATE INDEX intents_by_status ON intents(status, position);
                CREATE TABLE intent_words(
                    group_id BLOB NOT NULL,
                    kind INTEGER NOT NULL,
                    word TEXT NOT NULL,
                    position INTEGER NOT NULL,
                    tf INTEGER NOT NULL,
                    PRIMARY KEY(group_id, kind, word, position)) WITHOUT ROWID;
                CREATE INDEX intent_words_by_position ON intent_words(position);
                CREATE TABLE intent_word_df(
                    group_id BLOB NOT NULL,
                    kind INTEGER NOT NULL,
                    word TEXT NOT NULL,
                    df INTEGER NOT NULL,
                    PRIMARY KEY(group_id, kind, word)) WITHOUT ROWID;
                CREATE TABLE intent_book(
                    group_id BLOB NOT NULL,
                    kind INTEGER NOT NULL,
                    docs INTEGER NOT NULL,
                    total_length INTEGER NOT NULL,
                    PRIMARY KEY(group_id, kind)) WITHOUT ROWID;
                CREATE TABLE settlements(
                    position INTEGER PRIMARY KEY NOT NULL,
                    id BLOB NOT NULL UNIQUE,
                    group_id BLOB NOT NULL,
                    mediator BLOB NOT NULL,
                    status INTEGER NOT NULL);
                CREATE INDEX settlements_by_mediator ON settlements(mediator, position);
                CREATE TABLE settlement_parties(
                    address BLOB NOT NULL,
                    position INTEGER NOT NULL,
                    PRIMARY KEY(address, position)) WITHOUT ROWID;
                """)
        }
        m.registerMigration("v6-claim-memory") { db in
            // Retractions and context retrieval (ClaimIndex.swift, ClaimContext.swift): a retracted
            // claim keeps its row, marked with the height and reason; an inverted index of the words
            // of every claim not retracted (text and tags, `ClaimWords`) per group, with each
            // posting's term frequency and its claim's length so that BM25 needs no second read,
            // and per-group document frequencies and totals. Existing claims are indexed here.
            try db.execute(sql: """
                ALTER TABLE claims ADD COLUMN retracted_at INTEGER;
                ALTER TABLE claims ADD COLUMN retraction TEXT;
                CREATE TABLE claim_words(
                    group_id BLOB NOT NULL,
                    word TEXT NOT NULL,
                    position INTEGER NOT NULL,
                    tf INTEGER NOT NULL,
                    length INTEGER NOT NULL,
                    PRIMARY KEY(group_id, word, position)) WITHOUT ROWID;
                CREATE TABLE claim_word_df(
                    group_id BLOB NOT NULL,
                    word TEXT NOT NULL,
                    df INTEGER NOT NULL,
                    PRIMARY KEY(group_id, word)) WITHOUT ROWID;
                CREATE TABLE claim_book(
                    group_id BLOB PRIMARY KEY NOT NULL,
                    docs INTEGER NOT NULL,
                    total_length INTEGER NOT NULL) WITHOUT ROWID;
                """)
            try ClaimIndex.backfillWords(db)
        }
        m.registerMigration("v7-state-tree") { db in
            // The state tree (StateTreeStore.swift): its pages by path and the version (height)
            // that wrote them, and for each version the pages it stopped using, so that pruning
            // past the proof window is a range delete in height order.
            try db.execute(sql: """
                CREATE TABLE state_nodes(
                    path BLOB NOT NULL,
                    version INTEGER NOT NULL,
                    page BLOB NOT NULL,
                    PRIMARY KEY(path, version)) WITHOUT ROWID;
                CREATE TABLE state_stale(
                    since INTEGER NOT NULL,
                    path BLOB NOT NULL,
                    version INTEGER NOT NULL,
                    PRIMARY KEY(since, path, version)) WITHOUT ROWID;
                """)
        }
        m.registerMigration("v8-pruning") { db in
            // Pruning (BlockPruning.swift) keeps the transaction rows that module records read
            // their content from; a task's latest update is one of them, found by this index.
            try db.execute(sql: "CREATE INDEX tasks_by_updated_position ON tasks(updated_position)")
        }
        return m
    }
}

/// Keys of the `meta` table.
enum MetaKey {
    static let chainID = "chain_id"
    static let genesisHash = "genesis_hash"
    static let genesisTime = "genesis_time"
    static let headHeight = "head_height"
    static let headHash = "head_hash"
    static let stateRoot = "state_root"
    static let stateDigest = "state_digest"
    static let validatorSet = "validator_set"
    /// The oldest height whose state proofs are complete (pruning removed what older ones used).
    static let treePrunedThrough = "tree_pruned_through"
    /// The lowest height whose block body (transactions, receipts) is stored; absent means 1.
    /// Pruning raises it; a state-synced node starts with it at its snapshot.
    static let earliestHeight = "earliest_height"
    /// The lowest height whose header and commit are stored (absent: 1): a state-synced node's
    /// snapshot height. Pruning never moves it (headers stay).
    static let firstHeaderHeight = "first_header_height"
}
