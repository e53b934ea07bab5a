import Synchronization

/// A `SignStateStore` in memory: the simulator's stand-in for the file, surviving a simulated
/// crash because the node's driver keeps the store while the engine is thrown away.
public final class InMemorySignStateStore: SignStateStore {
    private let state: Mutex<SignState?>

    public init(_ initial: SignState? = nil) { state = Mutex(initial) }

    public func load() throws(SignStateError) -> SignState? { state.withLock { $0 } }

    public func save(_ newState: SignState) throws(SignStateError) { state.withLock { $0 = newState } }
}
