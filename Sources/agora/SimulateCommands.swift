import AgoraBench
import AgoraNode
import AgoraSimulation
import ArgumentParser
import Foundation

struct Simulate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run simulations: the consensus engine under seeded faults, real node processes on 127.0.0.1, or a chaos campaign.",
        subcommands: [SimulateConsensus.self, SimulateNetwork.self, SimulateChaos.self])
}

struct SimulateNetwork: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "network",
        abstract: "Launch N node processes, gossip transactions, and print propagation, duplicates and late-joiner sync.")
    @Option(help: "Node processes (one validator, the rest followers).") var nodes: Int = 8
    @Option(help: "Transactions for the propagation measurement.") var txs: Int = 200
    @Option(help: "Submission rate for those, per second.") var rate: Double = 50
    @Option(help: "Transactions loaded before the late joiner starts (0 = skip it).") var syncTxs: Int = 20_000
    @Option(help: "Block interval in milliseconds.") var blockIntervalMs: Int = 500
    @Option(help: "Seed for the topology and the submission targets.") var seed: UInt64 = 1
    @Option(help: "Directory for the nodes (kept afterwards); default a temporary one, removed.") var dir: String?

    func run() async throws {
        try await runCommand {
            guard (2...64).contains(nodes) else { throw CLIError(Exit.invalidInput, "--nodes must be 2...64") }
            guard txs >= 1, txs <= 100_000, rate > 0, rate <= 10_000 else {
                throw CLIError(Exit.invalidInput, "--txs must be 1...100000 and --rate 0...10000")
            }
            guard (0...1_000_000).contains(syncTxs) else { throw CLIError(Exit.invalidInput, "--sync-txs must be 0...1000000") }
            guard (50...60_000).contains(blockIntervalMs) else { throw CLIError(Exit.invalidInput, "--block-interval-ms must be 50...60000") }
            NodeProcess.terminateAllOnSignal()
            var config = NetworkSimulation.Config()
            config.nodes = nodes
            config.transactions = txs
            config.rate = rate
            config.syncTransactions = syncTxs
            config.blockIntervalMs = blockIntervalMs
            config.seed = seed
            config.directory = dir
            say("machine: \(Benchmarks.Machine.current)")
            say("network: \(nodes) node processes (1 validator), \(txs) transactions at \(rate)/s to random nodes, block interval \(blockIntervalMs) ms, seed \(seed)")
            let r = try await NetworkSimulation(config: config, log: { say("  … \($0)") }).run()
            say("transaction propagation (submitted → in each other node's mempool): \(r.transactionPropagation.description)")
            say(String(format: "  reached %.2f%% of (transaction, node) pairs", r.transactionCoverage * 100))
            say("block propagation (validator commit → follower commit): \(r.blockPropagation.description)")
            for (topic, ratio) in r.duplicateRatio.sorted(by: { $0.key < $1.key }) {
                say(String(format: "gossip duplicates, %@: %.1f%% of received messages, %.2f extra copies per message per node",
                           topic, ratio * 100, r.extraCopies[topic] ?? 0))
            }
            say(String(format: "mesh size per node and topic: mean %.1f, p50 %.0f, max %.0f; gossipsub's model (each mesh link used once) gives %.2f extra copies",
                       r.meshSizes.mean, r.meshSizes.p50, r.meshSizes.max, r.meshSizes.mean / 2 - 1))
            if let j = r.lateJoiner {
                say(String(format: "late joiner: %llu blocks, %d transactions in %.2f s from a fresh start = %.0f blocks/s, %.0f tx/s",
                             j.blocks, j.transactions, j.seconds, Double(j.blocks) / j.seconds, Double(j.transactions) / j.seconds))
            }
        }
    }
}

/// Writes a line unbuffered, so progress shows as it happens even through a pipe.
func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
