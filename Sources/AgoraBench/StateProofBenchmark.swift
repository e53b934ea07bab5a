import AgoraCore
import AgoraState
import Dispatch
import Foundation

/// `agora bench proofs`: the state tree at a given size — a tree of N accounts built in one
/// version (as genesis builds it), then proofs of random accounts and of absent keys: their
/// size, the time to build one from the tree's pages (in memory: SQLite reads are not counted)
/// and the time a client takes to verify one. Checks every proof it times.
public enum StateProofBenchmark {
    public struct Result: Sendable {
        public var accounts: Int
        public var buildSeconds: Double
        public var pages: Int
        public var proofBytesMin: Int, proofBytesMean: Double, proofBytesMax: Int
        public var depthMean: Double
        public var provePerSecond: Double
        public var verifyMicroseconds: Double
        public var peakRSSMiB: Double
    }

    public static func run(accounts: Int, proofs: Int) throws -> Result {
        var entries: [(key: [UInt8], value: [UInt8])] = []
        entries.reserveCapacity(accounts)
        for i in 0..<accounts {
            let address = Address(raw: Array(Hash.sha256(Array("bench-account-\(i)".utf8)).bytes.prefix(20)))
            let account = Account(balance: Amount(UInt64(1_000 + i))!, nonce: UInt64(i % 100), faucetClaimed: false)
            entries.append((BankKeys.account(address).bytes, account.canonicalBytes))
        }
        let t0 = DispatchTime.now().uptimeNanoseconds
        let changes = entries.map { StateTree.Change(keyHash: StateTreeHashing.keyHash($0.key), value: $0.value) }
            .sorted { $0.keyHash < $1.keyHash }
        var nodes = MemoryTreeNodes()
        let update = try StateTree.update(nodes, base: nil, version: 0, changes: changes)
        nodes.apply(update)
        let buildSeconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9

        var r = SplitMix64(seed: 42)
        var samples: [(key: [UInt8], value: [UInt8]?)] = []
        for i in 0..<proofs {
            if i % 10 == 9 {
                samples.append((Array("absent/\(i)".utf8), nil))
            } else {
                let e = entries[Int(r.next() % UInt64(entries.count))]
                samples.append((e.key, e.value))
            }
        }
        var proven: [StateTree.ProvenValue] = []
        proven.reserveCapacity(samples.count)
        let p0 = DispatchTime.now().uptimeNanoseconds
        for s in samples { proven.append(try StateTree.prove(nodes, key: s.key, version: 0)) }
        let proveSeconds = Double(DispatchTime.now().uptimeNanoseconds - p0) / 1e9
        let encoded = proven.map(\.proof.canonicalBytes)
        let v0 = DispatchTime.now().uptimeNanoseconds
        for (i, s) in samples.enumerated() {
            try StateProof.verify(encoded[i], key: s.key, value: s.value, root: update.root)
        }
        let verifySeconds = Double(DispatchTime.now().uptimeNanoseconds - v0) / 1e9
        for (i, s) in samples.enumerated() where proven[i].value != s.value {
            throw Benchmarks.BenchError.rejected("proof \(i) read a value other than the one written")
        }
        let sizes = encoded.map(\.count)
        return Result(accounts: accounts, buildSeconds: buildSeconds, pages: update.written.count,
                      proofBytesMin: sizes.min() ?? 0, proofBytesMean: Double(sizes.reduce(0, +)) / Double(max(1, sizes.count)),
                      proofBytesMax: sizes.max() ?? 0,
                      depthMean: Double(proven.map(\.proof.siblings.count).reduce(0, +)) / Double(max(1, proven.count)),
                      provePerSecond: Double(samples.count) / proveSeconds,
                      verifyMicroseconds: verifySeconds / Double(samples.count) * 1e6, peakRSSMiB: Benchmarks.peakRSSMiB)
    }
}
