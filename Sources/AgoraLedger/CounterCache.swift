import Metrics
import Synchronization

/// Counters by label and dimension values, created on first use and kept. Creating a
/// swift-metrics counter asks the factory (swift-prometheus validates the name and finds the
/// series under its lock) every time; counters incremented per transaction, per API request
/// or per gossip message are made once here instead.
package final class CounterCache: Sendable {
    private let factory: any MetricsFactory & Sendable
    private let counters = Mutex<[[String]: Counter]>([:])

    package init(factory: any MetricsFactory & Sendable) { self.factory = factory }

    package func counter(_ label: String, _ dimensions: [(String, String)]) -> Counter {
        let key = [label] + dimensions.flatMap { [$0.0, $0.1] }
        return counters.withLock { map in
            if let counter = map[key] { return counter }
            let counter = Counter(label: label, dimensions: dimensions, factory: factory)
            map[key] = counter
            return counter
        }
    }
}
