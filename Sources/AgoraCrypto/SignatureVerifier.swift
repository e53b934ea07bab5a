import AgoraCore
import Crypto
import Dispatch
import Foundation

/// Ed25519 verification, alone or in parallel on every core.
///
/// swift-crypto has no batch verification, so throughput comes from spreading independent
/// verifications over cores (`DispatchQueue.concurrentPerform`). This is the physical limit of a
/// signed-transaction ledger on a given machine; see docs/performance.md.
public enum SignatureVerifier {
    public static func isValid(_ signature: Signature, of message: [UInt8], by key: PublicKey) -> Bool {
        guard let pk = try? Curve25519.Signing.PublicKey(rawRepresentation: key.bytes) else { return false }
        return pk.isValidSignature(signature.bytes, for: message)
    }

    public static func isValid(_ tx: Transaction) -> Bool {
        isValid(tx.signature, of: tx.body.signingBytes, by: tx.body.sender)
    }

    public static func isValid(_ commitSignature: CommitSignature, for vote: Vote) -> Bool {
        isValid(commitSignature.signature, of: vote.signingBytes, by: commitSignature.validator)
    }

    /// Verifies every transaction, using all cores when the batch is large enough to pay for the
    /// fan-out. The result is in input order.
    public static func verify(_ transactions: [Transaction]) -> [Bool] {
        verifyAll(count: transactions.count) { isValid(transactions[$0]) }
    }

    /// Runs `check` for indices 0..<count in parallel chunks and returns the results in order.
    public static func verifyAll(count: Int, _ check: @Sendable (Int) -> Bool) -> [Bool] {
        if count < 64 { return (0..<count).map(check) }
        let workers = max(1, System.coreCount)
        let chunk = (count + workers * 4 - 1) / (workers * 4)
        let chunks = (count + chunk - 1) / chunk
        var results = [Bool](repeating: false, count: count)
        results.withUnsafeMutableBufferPointer { buffer in
            let base = UnsafeMutableSendablePointer(buffer.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                let start = c * chunk
                let end = min(count, start + chunk)
                for i in start..<end { base.pointer[i] = check(i) }
            }
        }
        return results
    }
}

/// Each parallel worker writes a disjoint range of the buffer, so sharing the pointer is safe.
struct UnsafeMutableSendablePointer<T>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<T>
    init(_ pointer: UnsafeMutablePointer<T>) { self.pointer = pointer }
}

public enum System {
    public static var coreCount: Int { ProcessInfo.processInfo.activeProcessorCount }
}
