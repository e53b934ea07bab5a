import Synchronization

/// The chain's part of a shutdown: at the signal the node stops moving its head. A commit
/// already running finishes; every later one (from consensus or sync) is refused with
/// `Stopping`, so nothing is committed after the signal but the block that was mid-commit.
extension Chain {
    /// Refused commits after `stopCommitting`: the node is shutting down.
    public struct Stopping: Error, Equatable, CustomStringConvertible {
        public let height: UInt64
        public var description: String { "block \(height) not committed: the node is shutting down" }
    }

    /// What `stopCommitting` found: the head when it was called, whether a commit was running
    /// then (it was let finish), and the head that stays.
    public struct StopReport: Sendable, Equatable {
        public let headAtSignal: UInt64
        public let commitInProgress: Bool
        public let finalHead: UInt64
    }

    /// Shutdown: waits for a commit already running to finish, then refuses every later one
    /// (from consensus or sync), so the head stops where it is at the signal plus at most that
    /// one block.
    public func stopCommitting() -> StopReport {
        let atSignal = snapshot.head.height
        let idle = writer.withLockIfAvailable { _ in stopped.withLock { $0 = true } } != nil
        if !idle { writer.withLock { _ in stopped.withLock { $0 = true } } }
        let final = snapshot.head.height
        return StopReport(headAtSignal: atSignal, commitInProgress: !idle || final != atSignal, finalHead: final)
    }
}
