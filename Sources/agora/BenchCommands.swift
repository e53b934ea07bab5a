import AgoraBench
import AgoraNode
import AgoraSimulation
import AgoraStorage
import ArgumentParser
import Foundation

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure throughput on this machine (build with -c release for meaningful figures).",
        subcommands: [Verify.self, Apply.self, Events.self, Consensus.self, ArtifactsBench.self, Claims.self, ContextBench.self, MediatorBench.self, Proofs.self, Prune.self, BackupBench.self, StateSyncBench.self, GovernanceBench.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Ed25519 verifications per second on all cores.")
        @Option(help: "Seconds to measure.") var seconds: Double = 3

        func run() async throws {
            try await runCommand {
                print("machine: \(Benchmarks.Machine.current)")
                let r = Benchmarks.verify(seconds: seconds)
                print(String(format: "ed25519 verify: %.0f/s on all cores, %.0f/s on one core", r.perSecondAllCores, r.perSecondOneCore))
            }
        }
    }

    struct Prune: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Data-directory size over a run of transfers: an archive node against one pruning block bodies (pruning.keepBlocks).")
        @Option(help: "Number of transfers.") var txs: Int = 200_000
        @Option(help: "Number of sending accounts.") var accounts: Int = 1_000
        @Option(help: "Transactions per block.") var blockTxs: Int = 1_000
        @Option(help: "Heights whose bodies the pruned node keeps.") var keepBlocks: UInt64 = 20
        @Option(help: "state.proofHeights of both runs (the state tree's own window; 10000 on a node by default).") var proofHeights: UInt64 = 20
        @Option(help: "Rows of the table (size samples).") var samples: Int = 10

        func run() async throws {
            try await runCommand {
                guard txs > 0, accounts > 0, (1...100_000).contains(blockTxs), keepBlocks >= 1, proofHeights >= 1, (1...1_000).contains(samples) else {
                    throw CLIError(Exit.invalidInput, "--txs, --accounts, --keep-blocks must be positive, --block-txs 1-100000, --samples 1-1000")
                }
                print("machine: \(Benchmarks.Machine.current)")
                let dir = NSTemporaryDirectory() + "agora-bench-prune-\(getpid())"
                defer { try? FileManager.default.removeItem(atPath: dir) }
                let rows = try Benchmarks.prune(transfers: txs, accounts: accounts, blockTransactions: blockTxs, keepBlocks: keepBlocks,
                                                proofHeights: proofHeights, samples: samples, directory: dir)
                print("state.proofHeights \(proofHeights) in both runs; pruning steps run between blocks (debug builds are slow: compare the columns)")
                print("| transfers | height | archive MiB | pruned MiB (keepBlocks \(keepBlocks)) | earliest height |")
                print("|---|---|---|---|---|")
                for r in rows {
                    print(String(format: "| %d | %llu | %.1f | %.1f | %llu |", r.transfers, r.height, Double(r.archiveBytes) / 1_048_576,
                                 Double(r.prunedBytes) / 1_048_576, r.earliestHeight))
                }
                // Flat: once the window is full, the pruned size's spread over the later half.
                let late = rows.suffix(max(1, rows.count / 2)).map(\.prunedBytes)
                if let lo = late.min(), let hi = late.max(), lo > 0 {
                    print(String(format: "pruned size over the second half of the run: %.1f–%.1f MiB (spread %.1f%%)",
                                 Double(lo) / 1_048_576, Double(hi) / 1_048_576, Double(hi - lo) / Double(lo) * 100))
                }
            }
        }
    }

    struct BackupBench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "backup",
            abstract: "Commit rate while agora backup runs on the data directory back to back, against the rate without it.")
        @Option(help: "Transfers committed before measuring (the database's size).") var fill: Int = 100_000
        @Option(help: "Transfers committed in each measured phase.") var measure: Int = 50_000
        @Option(help: "Number of sending accounts.") var accounts: Int = 1_000
        @Option(help: "Transactions per block.") var blockTxs: Int = 1_000

        func run() async throws {
            try await runCommand {
                guard fill > 0, measure > 0, accounts > 0, (1...100_000).contains(blockTxs) else {
                    throw CLIError(Exit.invalidInput, "--fill, --measure, --accounts must be positive, --block-txs 1-100000")
                }
                print("machine: \(Benchmarks.Machine.current)")
                let dir = NSTemporaryDirectory() + "agora-bench-backup-\(getpid())"
                defer { try? FileManager.default.removeItem(atPath: dir) }
                let r = try Benchmarks.backup(fill: fill, measure: measure, accounts: accounts, blockTransactions: blockTxs, directory: dir)
                print(String(format: "database: %.1f MiB after %d transfers", Double(r.databaseBytes) / 1_048_576, fill))
                print(String(format: "commit rate alone: %.0f tx/s; during backups: %.0f tx/s (%.1f%% lower)", r.baselinePerSecond,
                             r.duringPerSecond, (1 - r.duringPerSecond / r.baselinePerSecond) * 100))
                print(String(format: "backups written during the phase: %d, %.2f s each, %.1f MiB each", r.backups, r.backupSeconds,
                             Double(r.backupBytes) / 1_048_576))
            }
        }
    }

    struct Apply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Pre-signed transfers through mempool → block → state → SQLite commit, in one process.")
        @Option(help: "Number of transfers.") var txs: Int = 200_000
        @Option(help: "Number of sending accounts.") var accounts: Int = 10_000
        @Option(help: "Transactions per block.") var blockTxs: Int = 10_000
        @Option(help: "Data directory (default: a temporary one, removed afterwards).") var dataDir: String?
        @OptionGroup var sqlite: SQLiteTuningOptions

        func run() async throws {
            try await runCommand {
                guard txs > 0, accounts > 0, blockTxs > 0, blockTxs <= 100_000 else {
                    throw CLIError(Exit.invalidInput, "--txs, --accounts and --block-txs must be positive (block-txs ≤ 100000)")
                }
                print("machine: \(Benchmarks.Machine.current)")
                let verify = Benchmarks.verify(seconds: 2)
                let dir = dataDir ?? (NSTemporaryDirectory() + "agora-bench-\(getpid())")
                defer { if dataDir == nil { try? FileManager.default.removeItem(atPath: dir) } }
                let r = try Benchmarks.apply(count: txs, accounts: accounts, blockTransactions: blockTxs, directory: dir, tuning: sqlite.tuning)
                print(String(format: "committed %d transfers in %d blocks in %.2f s: %.0f tx/s", r.transactions, r.blocks, r.seconds, r.perSecond))
                print(String(format: "block execute+commit: p50 %.1f ms, p99 %.1f ms", r.blockP50 * 1000, r.blockP99 * 1000))
                print(String(format: "stages: admission (signature checks) %.2f s, execution %.2f s, SQLite commit %.2f s; block production in all %.2f s",
                             r.admitSeconds, r.executeSeconds, r.commitSeconds, r.produceSeconds))
                print(String(format: "state tree: %.2f s updating (%.1f%% of block production), %.0f pages written per block",
                             r.treeSeconds, r.treeSeconds / max(r.produceSeconds, 1e-9) * 100, r.treePagesPerBlock))
                print(String(format: "peak RSS: %.0f MiB", r.peakRSSMiB))
                print(String(format: "verify rate: %.0f/s; apply/verify ratio: %.2f", verify.perSecondAllCores, r.perSecond / verify.perSecondAllCores))
            }
        }
    }

    struct Events: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "WebSocket event fan-out: synthetic events at a rate to N subscribers over loopback.")
        @Option(help: "Subscriber connections.") var subscribers: Int = 100
        @Option(help: "Events published per second.") var rate: Int = 10_000
        @Option(help: "Seconds to measure.") var seconds: Double = 10

        func run() async throws {
            try await runCommand {
                guard (1...1_000).contains(subscribers), rate > 0, seconds > 0 else {
                    throw CLIError(Exit.invalidInput, "--subscribers 1…1000, --rate and --seconds positive")
                }
                print("machine: \(Benchmarks.Machine.current)")
                let dir = NSTemporaryDirectory() + "agora-bench-events-\(getpid())"
                defer { try? FileManager.default.removeItem(atPath: dir) }
                let r = try await EventsBenchmark.run(subscribers: subscribers, rate: rate, seconds: seconds, directory: dir)
                print(String(format: "published %.0f events/s for %.1f s to %d subscribers", r.publishedPerSecond, r.seconds, r.subscribers))
                print(String(format: "delivered per subscriber: min %.0f/s, median %.0f/s; subscribers dropped: %d",
                             r.minPerSubscriber, r.medianPerSubscriber, r.dropped))
                print("server RSS by second (MiB): " + r.rssMiB.map { String(format: "%.0f", $0) }.joined(separator: " "))
            }
        }
    }

    struct StateSyncBench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "statesync",
            abstract: "Join by state sync against replay from genesis, on a chain of N new accounts and N claims: both times, their ratio, peak RSS.")
        @Option(help: "Accounts created by transfers.") var accounts: Int = 2_000
        @Option(help: "Claims published.") var claims: Int = 2_000
        @Option(help: "Directory for the chains (default: a temporary one, removed after).") var dir: String?

        func run() async throws {
            try await runCommand {
                guard (1...10_000_000).contains(accounts), (1...10_000_000).contains(claims) else {
                    throw CLIError(Exit.invalidInput, "--accounts and --claims must be 1…10000000")
                }
                var o = StateSyncBenchmark.Options()
                o.accounts = accounts
                o.claims = claims
                let directory = dir ?? NSTemporaryDirectory() + "agora-bench-statesync-\(UUID().uuidString)"
                defer { if dir == nil { try? FileManager.default.removeItem(atPath: directory) } }
                print("machine: \(Benchmarks.Machine.current)")
                let r = try StateSyncBenchmark.run(o, directory: directory) { print($0) }
                print(String(format: "chain: %d blocks, %d state entries in %d chunks", r.blocks, r.entries, r.chunks))
                print(String(format: "state sync (local work): %.2f s (snapshot %.2f s + restore %.2f s)", r.syncSeconds, r.snapshotSeconds, r.restoreSeconds))
                print(String(format: "replay from genesis: %.2f s", r.replaySeconds))
                print(String(format: "ratio sync/replay: %.3f (target < 0.10)", r.ratio))
                print(String(format: "peak RSS (process): %.0f MiB after building, %.0f MiB after sync, %.0f MiB after replay",
                             r.rssAfterBuildMiB, r.rssAfterSyncMiB, r.rssAfterReplayMiB))
            }
        }
    }

    struct GovernanceBench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "governance",
            abstract: "Governance's end-of-block cost for 1,000 open proposals and 10,000 votes, in the shapes of docs/governance.md (in memory).",
            discussion: "Prints the median of --runs runs of governance's end of block per shape, and bench verify's rate in the same run as the ratio reference. Build with -c release for the figure the issue's 5 ms target is about.")
        @Option(help: "Runs per shape (the median is printed).") var runs: Int = 7

        func run() async throws {
            try await runCommand {
                guard (1...1_000).contains(runs) else { throw CLIError(Exit.invalidInput, "--runs 1…1000") }
                print("machine: \(Benchmarks.Machine.current)")
                let verify = Benchmarks.verify(seconds: 2)
                print(String(format: "ed25519 verify (reference): %.0f/s on one core", verify.perSecondOneCore))
                try GovernanceEndBlockBenchmark.run(runs: runs) { f in
                    print(String(format: "governance end of block, %@: median %.3f ms", f.shape, f.medianMilliseconds))
                }
            }
        }
    }

    struct Proofs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "State proofs in a tree of N accounts: proof size, time to build one from the tree's pages (in memory) and to verify one; with --node, proofs served per second by a running node over HTTP.",
            discussion: "With --node URL: keep-alive connections ask GET /api/v1/proofs/state for the node's accounts (one in ten an absent key) for --seconds; prints proofs/s, latency and answer size, and bench verify's rate in the same run as the ratio reference.")
        @Option(help: "Accounts in the state.") var accounts: Int = 1_000_000
        @Option(help: "Proofs to build and verify (one in ten of an absent key).") var proofs: Int = 10_000
        @Option(help: "Measure proofs served by this running node instead (http://HOST:PORT).") var node: String?
        @Option(help: "With --node: keep-alive connections.") var connections: Int = 8
        @Option(help: "With --node: seconds to measure.") var seconds: Double = 10
        @Option(help: "With --node: the node's process ID, to report its CPU per proof.") var nodePid: Int32?

        func run() async throws {
            try await runCommand {
                if let node { return try await serve(node) }
                guard (1...20_000_000).contains(accounts), (1...1_000_000).contains(proofs) else {
                    throw CLIError(Exit.invalidInput, "--accounts 1…20000000, --proofs 1…1000000")
                }
                print("machine: \(Benchmarks.Machine.current)")
                let r = try StateProofBenchmark.run(accounts: accounts, proofs: proofs)
                print(String(format: "tree of %d accounts built in %.1f s: %d pages", r.accounts, r.buildSeconds, r.pages))
                print(String(format: "proof size: min %d, mean %.0f, max %d bytes; mean depth %.1f", r.proofBytesMin, r.proofBytesMean,
                             r.proofBytesMax, r.depthMean))
                print(String(format: "build proofs: %.0f/s (pages in memory); verify: %.1f µs per proof", r.provePerSecond, r.verifyMicroseconds))
                print(String(format: "peak RSS: %.0f MiB", r.peakRSSMiB))
            }
        }

        /// Proofs served by a running node over keep-alive HTTP, with the verify rate beside it.
        func serve(_ url: String) async throws {
            guard (1...256).contains(connections), seconds > 0, seconds <= 3_600 else {
                throw CLIError(Exit.invalidInput, "--connections 1…256, --seconds 0…3600")
            }
            let endpoint: APIEndpoint
            do { endpoint = try APIEndpoint(url: url) } catch { throw CLIError(Exit.invalidInput, "--node: \(error)") }
            print("machine: \(Benchmarks.Machine.current)")
            let verify = Benchmarks.verify(seconds: 2)
            let (keys, present) = try await ProofServingBenchmark.keys(endpoint: endpoint, limit: max(1, accounts))
            let r = try await ProofServingBenchmark.run(endpoint: endpoint, keys: keys, present: present, connections: connections, seconds: seconds,
                                                        nodePID: nodePid)
            print("node \(endpoint): \(r.keys) keys (\(r.present) accounts, \(r.keys - r.present) absent), \(r.connections) keep-alive connections")
            print(String(format: "served %d proofs in %.1f s: %.0f proofs/s; failed %d; answer %.0f bytes mean",
                         r.served, r.seconds, r.perSecond, r.failed, r.meanAnswerBytes))
            print(String(format: "latency: p50 %.2f ms, p99 %.2f ms", r.latency.p50 * 1000, r.latency.p99 * 1000))
            print(String(format: "verify rate: %.0f/s; proofs served/verify ratio: %.2f", verify.perSecondAllCores, r.perSecond / verify.perSecondAllCores))
            print(String(format: "client CPU: %.1f s (%.0f µs per proof)", r.clientCPUSeconds, r.clientMicrosecondsPerProof))
            if let node = r.nodeCPUSeconds, let per = r.nodeMicrosecondsPerProof {
                print(String(format: "node CPU: %.1f s (%.0f µs per proof)", node, per))
            } else if let nodePid {
                print("node CPU: /proc/\(nodePid)/stat not readable")
            }
        }
    }

    struct Claims: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Claim publishing through mempool → block → SQLite (with the claim index), then since/thread/tag/author query latency.")
        @Option(help: "Claims to publish into one group.") var claims: Int = 1_000_000
        @Option(help: "Member accounts publishing.") var accounts: Int = 10_000
        @Option(help: "Transactions per block.") var blockTxs: Int = 10_000
        @Option(help: "Queries of each kind to time.") var queries: Int = 2_000
        @Option(help: "Data directory (default: a temporary one, removed afterwards).") var dataDir: String?
        @OptionGroup var sqlite: SQLiteTuningOptions

        func run() async throws {
            try await runCommand {
                guard claims >= 2_000, accounts > 0, (1...100_000).contains(blockTxs), queries > 0 else {
                    throw CLIError(Exit.invalidInput, "--claims ≥ 2000; --accounts, --queries positive; --block-txs 1…100000")
                }
                print("machine: \(Benchmarks.Machine.current)")
                let dir = dataDir ?? (NSTemporaryDirectory() + "agora-bench-claims-\(getpid())")
                defer { if dataDir == nil { try? FileManager.default.removeItem(atPath: dir) } }
                var o = ClaimsBenchmark.Options()
                o.claims = claims
                o.accounts = accounts
                o.blockTransactions = blockTxs
                o.queries = queries
                o.tuning = sqlite.tuning
                let r = try ClaimsBenchmark.run(o, directory: dir) { print($0) }
                print(String(format: "published %d claims in %d blocks in %.2f s: %.0f claims/s", r.claims, r.blocks, r.publishSeconds, r.perSecond))
                print(String(format: "stages: admission (signature checks) %.2f s, execution %.2f s, SQLite commit %.2f s; block production in all %.2f s",
                             r.admitSeconds, r.executeSeconds, r.commitSeconds, r.produceSeconds))
                print(String(format: "since page (50): p50 %.2f ms, p99 %.2f ms", r.sinceP50 * 1000, r.sinceP99 * 1000))
                print(String(format: "thread read (mean %.0f claims): p50 %.2f ms, p99 %.2f ms", r.meanThreadLength, r.threadP50 * 1000, r.threadP99 * 1000))
                print(String(format: "tag page (50): p99 %.2f ms; author page (50): p99 %.2f ms", r.tagP99 * 1000, r.authorP99 * 1000))
                print(String(format: "database %.0f MiB; peak RSS %.0f MiB", r.databaseMiB, r.peakRSSMiB))
            }
        }
    }

    struct ContextBench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "context",
            abstract: "Context retrieval (compile_context) latency on one group of N indexed claims, 3-word queries, a token budget.")
        @Option(help: "Claims in the group.") var claims: Int = 1_000_000
        @Option(help: "Claims per committed block.") var blockTxs: Int = 10_000
        @Option(help: "Queries to time.") var queries: Int = 500
        @Option(help: "Token budget of each query.") var budget: Int = 2_000
        @Option(help: "Data directory (default: a temporary one, removed afterwards). A directory kept from an earlier run with the same --claims is queried without rebuilding.") var dataDir: String?

        func run() async throws {
            try await runCommand {
                guard claims >= 1, (1...100_000).contains(blockTxs), queries > 0, (16...32_000).contains(budget) else {
                    throw CLIError(Exit.invalidInput, "--claims, --queries positive; --block-txs 1…100000; --budget 16…32000")
                }
                print("machine: \(Benchmarks.Machine.current)")
                let dir = dataDir ?? (NSTemporaryDirectory() + "agora-bench-context-\(getpid())")
                defer { if dataDir == nil { try? FileManager.default.removeItem(atPath: dir) } }
                var o = ContextBenchmark.Options()
                o.claims = claims
                o.blockTransactions = blockTxs
                o.queries = queries
                o.budget = budget
                let r = try ContextBenchmark.run(o, directory: dir) { print($0) }
                print(String(format: "indexed %d claims in %.1f s; database %.0f MiB", r.claims, r.buildSeconds, r.databaseMiB))
                print(String(format: "context, 3-word query, budget %d: p50 %.2f ms, p99 %.2f ms, max %.2f ms over %d queries",
                             budget, r.p50 * 1000, r.p99 * 1000, r.max * 1000, queries))
                print(String(format: "CPU time per query: p50 %.2f ms, p99 %.2f ms (the wall clock above includes waiting for a core)",
                             r.cpuP50 * 1000, r.cpuP99 * 1000))
                print(String(format: "mean per query: %.0f candidates scored, %.1f items returned, %.0f tokens", r.meanCandidates, r.meanItems, r.meanTokens))
            }
        }
    }

    struct MediatorBench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "mediator",
            abstract: "The mediator against a book of open intents (built through mempool → block → SQLite): new intents per second it keeps up with.")
        @Option(help: "Open intents in the book.") var book: Int = 100_000
        @Option(help: "New intents per block (one block per second is the target rate).") var perBlock: Int = 100
        @Option(help: "Measured blocks.") var blocks: Int = 30
        @Option(help: "Data directory (default: a temporary one, removed afterwards).") var dataDir: String?

        func run() async throws {
            try await runCommand {
                guard book >= 1_000, (1...10_000).contains(perBlock), blocks > 0 else {
                    throw CLIError(Exit.invalidInput, "--book ≥ 1000; --per-block 1…10000; --blocks positive")
                }
                print("machine: \(Benchmarks.Machine.current)")
                let dir = dataDir ?? (NSTemporaryDirectory() + "agora-bench-mediator-\(getpid())")
                defer { if dataDir == nil { try? FileManager.default.removeItem(atPath: dir) } }
                var o = MediatorBenchmark.Options()
                o.book = book
                o.perBlock = perBlock
                o.blocks = blocks
                let r = try await MediatorBenchmark.run(o, directory: dir) { print($0) }
                print(String(format: "book of %d open intents built in %.1f s", r.book, r.buildSeconds))
                print(String(format: "%d rounds of %d new intents: round p50 %.1f ms, p99 %.1f ms", r.rounds, perBlock, r.roundP50 * 1000, r.roundP99 * 1000))
                print(String(format: "mediator throughput: %.0f new intents/s (target 100/s), %.0f candidates judged per intent, %d proposals",
                             r.intentsPerSecond, r.candidatesPerIntent, r.proposals))
                print(String(format: "database %.0f MiB; peak RSS %.0f MiB", r.databaseMiB, r.peakRSSMiB))
            }
        }
    }
}

/// SQLite memory settings for the storage benchmarks (the node's defaults otherwise).
struct SQLiteTuningOptions: ParsableArguments {
    @Option(help: "SQLite page cache per connection, MiB.") var sqliteCacheMib: Int = BlockStore.Tuning.default.cacheMiB
    @Option(help: "Bytes of the database file SQLite maps into memory, MiB (0: none).") var sqliteMmapMib: Int = BlockStore.Tuning.default.mmapMiB
    var tuning: BlockStore.Tuning { BlockStore.Tuning(cacheMiB: max(1, sqliteCacheMib), mmapMiB: max(0, sqliteMmapMib)) }
}
