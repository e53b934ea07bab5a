import AgoraCore
import AgoraCrypto
import AgoraLedger
import AgoraNode
import AgoraState
import AgoraStorage
import Foundation
import Logging
import Synchronization

/// `agora bench prune`: the data directory's size over a run of transfers, once as an archive
/// node and once pruning block bodies older than `keepBlocks` heights — the pruning steps run
/// between commits, as the node's `BlockPruner` interleaves them. Sizes are of `agora.sqlite`
/// plus its WAL after a checkpoint at each sample, so they are the file the node would keep.
extension Benchmarks {
    public struct PruneSample: Sendable {
        public var transfers: Int
        public var height: UInt64
        public var archiveBytes: Int64
        public var prunedBytes: Int64
        public var earliestHeight: UInt64
    }

    public static func prune(transfers: Int, accounts: Int, blockTransactions: Int, keepBlocks: UInt64, proofHeights: UInt64,
                             samples: Int, directory: String) throws -> [PruneSample] {
        let keys = (0..<accounts).map(deterministicKey)
        let txs = signTransfers(count: transfers, keys: keys, chainID: "bench", fee: Amount(1)!)
        let rounds = max(1, samples)
        let perRound = (transfers + rounds - 1) / rounds
        var archive = try PruneRun(directory: directory + "/archive", keys: keys, blockTransactions: blockTransactions, proofHeights: proofHeights)
        var pruned = try PruneRun(directory: directory + "/pruned", keys: keys, blockTransactions: blockTransactions, proofHeights: proofHeights)
        var out: [PruneSample] = []
        var offset = 0
        while offset < txs.count {
            let batch = Array(txs[offset..<min(txs.count, offset + perRound)])
            offset += batch.count
            try archive.commit(batch, keepBlocks: nil)
            try pruned.commit(batch, keepBlocks: keepBlocks)
            out.append(PruneSample(transfers: offset, height: try pruned.store.head().height, archiveBytes: try archive.size(),
                                   prunedBytes: try pruned.size(), earliestHeight: try pruned.store.earliestHeight()))
        }
        try archive.store.close()
        try pruned.store.close()
        return out
    }

    struct PruneRun {
        let store: BlockStore
        let chain: Chain
        let blockTransactions: Int
        var now: UInt64 = 1

        /// `proofHeights`: the state tree's proof window (`state.proofHeights`), the same in both
        /// runs; its stale pages are the other thing that grows until its window is full.
        init(directory: String, keys: [SigningKey], blockTransactions: Int, proofHeights: UInt64 = Chain.Config.defaultProofHeights) throws {
            let validator = deterministicKey(-1)
            let genesis = Genesis(chainID: "bench", genesisTime: 0, validators: [.init(publicKey: validator.publicKey.hex, power: 1)],
                                  params: NodeSetup.defaultParams(faucet: .zero),
                                  allocations: keys.map { .init(address: $0.address.description, amount: Amount(1_000_000_000)!) })
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            store = try BlockStore(path: directory + "/agora.sqlite")
            try store.initialize(try genesis.resolve())
            var logger = Logger(label: "bench")
            logger.logLevel = .warning
            chain = try Chain(store: store, validatorKey: validator,
                              mempool: Benchmarks.mempool(maxCount: blockTransactions * 4, maxPerSender: 1_024),
                              config: .init(maxBlockTransactions: blockTransactions, proofHeights: proofHeights), logger: logger)
            self.blockTransactions = blockTransactions
        }

        /// Commits `txs`; with `keepBlocks`, prunes to the window after every block.
        mutating func commit(_ txs: [Transaction], keepBlocks: UInt64?) throws {
            var offset = 0
            while offset < txs.count {
                let batch = Array(txs[offset..<min(txs.count, offset + blockTransactions)])
                offset += batch.count
                for r in chain.admit(batch: batch) { if case let .failure(e) = r { throw BenchError.rejected("\(e)") } }
                now += 1
                _ = try chain.produceBlock(now: now)
                if let keepBlocks {
                    let target = BlockPruner.target(head: try store.head().height, keepBlocks: keepBlocks)
                    while try store.pruneStep(target: target) != nil {}
                }
            }
        }

        func size() throws -> Int64 {
            try store.checkpoint()
            return store.sizeOnDisk
        }
    }
}

/// `agora bench backup`: the commit rate of block production while `agora backup` runs on the
/// same data directory, against the rate without it. The chain is first filled to a size, then
/// the same number of transfers is committed twice: once alone, once while a thread writes
/// backups back to back (SQLite online backup plus the archive file, as the command does).
extension Benchmarks {
    public struct BackupResult: Sendable {
        public var databaseBytes: Int64
        public var baselinePerSecond: Double
        public var duringPerSecond: Double
        public var backups: Int
        public var backupSeconds: Double
        public var backupBytes: UInt64
    }

    public static func backup(fill: Int, measure: Int, accounts: Int, blockTransactions: Int, directory: String) throws -> BackupResult {
        let keys = (0..<accounts).map(deterministicKey)
        let txs = signTransfers(count: fill + 2 * measure, keys: keys, chainID: "bench", fee: Amount(1)!)
        let dataDir = DataDirectory(directory + "/node")
        var run = try PruneRun(directory: dataDir.path, keys: keys, blockTransactions: blockTransactions)
        try run.commit(Array(txs[0..<fill]), keepBlocks: nil)
        try run.store.checkpoint()
        let size = run.store.sizeOnDisk
        func timed(_ slice: ArraySlice<Transaction>) throws -> Double {
            let t0 = DispatchTime.now().uptimeNanoseconds
            try run.commit(Array(slice), keepBlocks: nil)
            return Double(slice.count) / (Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        let baseline = try timed(txs[fill..<(fill + measure)])
        let stop = Mutex(false)
        let stats = Mutex((count: 0, seconds: 0.0, bytes: UInt64(0)))
        let worker = Thread {
            var i = 0
            while !stop.withLock({ $0 }) {
                let out = directory + "/backup-\(i).agorabak"
                let t0 = DispatchTime.now().uptimeNanoseconds
                if let r = try? NodeBackup.create(dataDir: dataDir, out: out, version: "bench", now: 0) {
                    let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
                    stats.withLock { $0.count += 1; $0.seconds += dt; $0.bytes = r.bytes }
                }
                try? FileManager.default.removeItem(atPath: out)
                i += 1
            }
        }
        worker.start()
        let during = try timed(txs[(fill + measure)...])
        stop.withLock { $0 = true }
        while worker.isExecuting { usleep(10_000) }
        try run.store.close()
        let s = stats.withLock { $0 }
        return BackupResult(databaseBytes: size, baselinePerSecond: baseline, duringPerSecond: during, backups: s.count,
                            backupSeconds: s.count > 0 ? s.seconds / Double(s.count) : 0, backupBytes: s.bytes)
    }
}
