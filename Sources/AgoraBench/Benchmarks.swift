// AgoraBench owns the measurements behind `agora bench` and `agora artifact bench`: block
// production (apply, claims, mediator, events), signature verification, artifact transfer and
// consensus throughput over validator processes. Measurement only: no node links it.
import AgoraCore
import AgoraCrypto
import AgoraLedger
import AgoraNode
import AgoraState
import AgoraStorage
import Dispatch
import Foundation
import Logging
import Synchronization

/// `agora bench`: throughput figures measured in-process, printed with the machine they ran on.
/// See docs/performance.md for the figures and the commands that produced them.
public enum Benchmarks {
    public struct Machine: Sendable, CustomStringConvertible {
        public var cpu: String
        public var cores: Int
        public var memoryGiB: Double

        public static var current: Machine {
            let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
            let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
                .map { $0.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "" } ?? "unknown"
            let meminfo = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)) ?? ""
            let kb = meminfo.split(separator: "\n").first { $0.hasPrefix("MemTotal") }
                .flatMap { $0.split(separator: " ").dropFirst().first.flatMap { Double($0) } } ?? 0
            return Machine(cpu: model, cores: System.coreCount, memoryGiB: kb / 1_048_576)
        }

        public var description: String { String(format: "%@, %d cores, %.1f GiB", cpu, cores, memoryGiB) }
    }

    /// Peak resident set size of this process in MiB (VmHWM).
    public static var peakRSSMiB: Double {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let kb = status.split(separator: "\n").first { $0.hasPrefix("VmHWM") }
            .flatMap { $0.split(separator: " ").dropFirst().first.flatMap { Double($0) } } ?? 0
        return kb / 1024
    }

    static func deterministicKey(_ i: Int) -> SigningKey {
        var seed = [UInt8](repeating: 0, count: 32)
        withUnsafeBytes(of: UInt64(bitPattern: Int64(i)).littleEndian) { for (j, b) in $0.enumerated() { seed[j] = b } }
        seed[31] = 0xa6
        return try! SigningKey(seed: seed)
    }

    /// Signs `count` transfers in parallel: sender `i % accounts` with nonce `i / accounts`,
    /// to the next account, so a run of `accounts` consecutive transactions is all executable.
    /// They expire at `expiresAt`: under the mempool's ceiling (`mempool.maxExpiryHeights`)
    /// for a chain that starts at height 0.
    /// Expiry height of benchmark transactions: far, but under the default
    /// `mempool.maxExpiryHeights` (100,000) from a fresh chain.
    static let expiresAt: UInt64 = 90_000

    /// A mempool for in-process benchmarks: the ready bound is its ceiling (a benchmark loads
    /// the pool on purpose, before any commit rate is measured).
    static func mempool(maxCount: Int, maxPerSender: Int) -> Mempool {
        var config = Mempool.Config(maxCount: maxCount, maxPerSender: maxPerSender)
        config.maxPendingSeconds = 3_600
        config.maxQueuedPerSender = min(maxPerSender, 1_024)
        return Mempool(config: config)
    }

    static func signTransfers(count: Int, keys: [SigningKey], chainID: String, fee: Amount,
                              expiresAt: UInt64 = Benchmarks.expiresAt) -> [Transaction] {
        let accounts = keys.count
        return signInParallel(count: count) { i in
            let from = keys[i % accounts]
            return from.sign(TransactionBody(chainID: chainID, sender: from.publicKey, nonce: UInt64(i / accounts), fee: fee,
                                             expiresAt: expiresAt, payload: .transfer(to: keys[(i + 1) % accounts].address,
                                                                                       amount: Amount(1)!, memo: "")))
        }
    }

    /// `make(i)` for i in 0..<count on every core, in index order: benchmarks sign their
    /// transactions beforehand so that signing is not what they measure.
    static func signInParallel(count: Int, _ make: @Sendable (Int) -> Transaction) -> [Transaction] {
        var out = [Transaction?](repeating: nil, count: count)
        out.withUnsafeMutableBufferPointer { buffer in
            let box = SendableBuffer(buffer)
            let chunk = 1024
            DispatchQueue.concurrentPerform(iterations: (count + chunk - 1) / chunk) { c in
                for i in (c * chunk)..<min(count, (c + 1) * chunk) { box.buffer[i] = make(i) }
            }
        }
        return out.map { $0! }
    }

    struct SendableBuffer<T>: @unchecked Sendable {
        let buffer: UnsafeMutableBufferPointer<T>
        init(_ b: UnsafeMutableBufferPointer<T>) { buffer = b }
    }

    public struct VerifyResult: Sendable {
        public var perSecondAllCores: Double
        public var perSecondOneCore: Double
    }

    /// Ed25519 verifications per second on all cores (and on one, for reference).
    public static func verify(seconds: Double = 3) -> VerifyResult {
        let keys = (0..<64).map(deterministicKey)
        let txs = signTransfers(count: 20_000, keys: keys, chainID: "bench", fee: Amount(1)!)
        func rate(_ body: () -> Int) -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            var done = 0
            while Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 < seconds { done += body() }
            return Double(done) / (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        let all = rate {
            let ok = SignatureVerifier.verify(txs)
            precondition(ok.allSatisfy { $0 }, "benchmark signatures must verify")
            return txs.count
        }
        let one = rate {
            var n = 0
            for tx in txs.prefix(2_000) where SignatureVerifier.isValid(tx) { n += 1 }
            return n
        }
        return VerifyResult(perSecondAllCores: all, perSecondOneCore: one)
    }

    public struct ApplyResult: Sendable {
        public var transactions: Int
        public var blocks: Int
        public var seconds: Double
        public var perSecond: Double
        public var blockP50: Double
        public var blockP99: Double
        public var peakRSSMiB: Double
        /// Seconds spent in each stage, summed over blocks.
        public var admitSeconds: Double
        public var executeSeconds: Double
        public var commitSeconds: Double
        /// Wall time inside block production (execution, commit, building, events, mempool upkeep).
        public var produceSeconds: Double
        /// Of `produceSeconds`: updating the state tree (pages read and hashed; their SQLite
        /// writes are in `commitSeconds`), and the tree pages written per block on average.
        public var treeSeconds: Double
        public var treePagesPerBlock: Double
    }

    /// Drives `count` pre-signed transfers through mempool admission (parallel signature
    /// checks) → block execution → SQLite commit, in a fresh data directory.
    public static func apply(count: Int, accounts: Int, blockTransactions: Int, directory: String,
                             tuning: BlockStore.Tuning = .default) throws -> ApplyResult {
        let keys = (0..<accounts).map(deterministicKey)
        let validator = deterministicKey(-1)
        let chainID = "bench"
        let genesis = Genesis(chainID: chainID, genesisTime: 0, validators: [.init(publicKey: validator.publicKey.hex, power: 1)],
                              params: NodeSetup.defaultParams(faucet: .zero),
                              allocations: keys.map { .init(address: $0.address.description, amount: Amount(1_000_000_000)!) })
        let txs = signTransfers(count: count, keys: keys, chainID: chainID, fee: Amount(1)!)

        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let store = try BlockStore(path: directory + "/agora.sqlite", tuning: tuning)
        try store.initialize(try genesis.resolve())
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        let chain = try Chain(store: store, validatorKey: validator,
                              mempool: Benchmarks.mempool(maxCount: blockTransactions * 4, maxPerSender: 1_024),
                              config: .init(maxBlockTransactions: blockTransactions), logger: logger)

        var now: UInt64 = 1
        let run = try Pipeline(chain: chain, blockTransactions: blockTransactions).commit(txs, now: &now)
        try store.close()
        let blockTimes = run.blockTimes.sorted()
        func pct(_ p: Double) -> Double { blockTimes[min(blockTimes.count - 1, Int(Double(blockTimes.count) * p))] }
        return ApplyResult(transactions: run.committed, blocks: blockTimes.count, seconds: run.seconds,
                           perSecond: Double(run.committed) / run.seconds,
                           blockP50: pct(0.5), blockP99: pct(0.99), peakRSSMiB: peakRSSMiB,
                           admitSeconds: run.admitSeconds, executeSeconds: run.executeSeconds, commitSeconds: run.commitSeconds,
                           produceSeconds: run.produceSeconds, treeSeconds: run.treeSeconds,
                           treePagesPerBlock: Double(run.treePages) / Double(max(1, blockTimes.count)))
    }

    /// Pre-signed transactions through the whole single-validator pipeline: admission (parallel
    /// signature checks) on its own thread, as API handlers do in a node, while the caller's
    /// thread produces blocks — signature checks for the next block overlap execution and commit.
    struct Pipeline {
        let chain: Chain
        let blockTransactions: Int

        struct Run {
            var committed = 0
            /// Execute + commit seconds of each non-empty block.
            var blockTimes: [Double] = []
            var admitSeconds = 0.0, executeSeconds = 0.0, commitSeconds = 0.0
            /// Wall time inside `produceBlock`: execution and commit plus building the block,
            /// events, mempool upkeep.
            var produceSeconds = 0.0
            var treeSeconds = 0.0
            var treePages = 0
            var seconds = 0.0
        }

        /// Commits all of `txs`; `now` is the block clock, advanced per block.
        func commit(_ txs: [Transaction], now: inout UInt64) throws -> Run {
            let admission = Mutex(AdmissionProgress())
            let (chain, limit) = (self.chain, blockTransactions)
            let start = DispatchTime.now().uptimeNanoseconds
            let admitter = Thread {
                var offset = 0
                while offset < txs.count {
                    // Room for the block being committed (its transactions leave the pool only
                    // when it commits) plus one queued: admission keeps running during a commit,
                    // as a node's API and gossip do. At 2× it waited out every commit.
                    while chain.queries.pendingCount > limit * 3 { usleep(500) }
                    let batch = Array(txs[offset..<min(txs.count, offset + limit)])
                    offset += batch.count
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    let failures = chain.admit(batch: batch).compactMap { r -> String? in
                        if case let .failure(e) = r { return "\(e)" } else { return nil }
                    }
                    let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
                    admission.withLock {
                        $0.seconds += dt
                        $0.failures += failures
                    }
                }
                admission.withLock { $0.done = true }
            }
            admitter.start()
            var run = Run()
            while run.committed < txs.count {
                let progress = admission.withLock { $0 }
                if let failure = progress.failures.first { throw BenchError.rejected(failure) }
                if !progress.done && chain.queries.pendingCount < limit {
                    usleep(200)
                    continue
                }
                now += 1
                let p0 = DispatchTime.now().uptimeNanoseconds
                let produced = try chain.produceBlock(now: now)
                run.produceSeconds += Double(DispatchTime.now().uptimeNanoseconds - p0) / 1e9
                if produced.transactions > 0 {
                    run.blockTimes.append(produced.executeSeconds + produced.commitSeconds)
                    run.executeSeconds += produced.executeSeconds
                    run.commitSeconds += produced.commitSeconds
                    run.treeSeconds += produced.treeSeconds
                    run.treePages += produced.treePages
                }
                run.committed += produced.transactions
                if produced.transactions == 0 && progress.done && chain.queries.pendingCount == 0 {
                    throw BenchError.rejected("mempool drained with \(txs.count - run.committed) uncommitted")
                }
            }
            run.admitSeconds = admission.withLock { $0.seconds }
            run.seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            return run
        }
    }

    struct AdmissionProgress: Sendable {
        var seconds = 0.0
        var failures: [String] = []
        var done = false
    }

    public enum BenchError: Error, CustomStringConvertible {
        case rejected(String)
        public var description: String {
            switch self { case let .rejected(why): return "benchmark transaction refused: \(why)" }
        }
    }
}
