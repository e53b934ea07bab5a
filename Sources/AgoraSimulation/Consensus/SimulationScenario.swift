/// The named runs of `agora simulate consensus --scenario`: the fault model (the default) and the
/// overload scenarios of issue 13, each with the default parameters its tests use. A load
/// scenario is fault-free and owes a height per second of virtual time after two seconds to
/// start (the simulator's round-0 timeouts sum to 800 ms): heights must keep advancing within
/// the timeout budget, not merely eventually.
public enum SimulationScenario: String, Hashable, Sendable, CaseIterable {
    /// Delay, loss, duplication, partitions, crashes, clock skew, Byzantine validators.
    case faults
    /// A transaction flood of 1.5x the cores competing with votes, served consensus first.
    case flood
    /// The same flood with the dispatch before issue 13: arrival order (expected to stall).
    case floodArrivalOrder = "flood-arrival-order"
    /// A deep pool; proposals sized by the measured `BlockBudget`.
    case proposalsBudget = "proposals-budget"
    /// A deep pool; every proposal filled to `block.maxTransactions` (the proposer before).
    case proposalsFixed = "proposals-fixed"

    /// Byzantine validators when the command line names none: the fault model keeps one, a
    /// load scenario measures honest validators under load.
    public var defaultByzantine: Int { self == .faults ? 1 : 0 }

    public func apply(to config: inout SimulationConfig) {
        switch self {
        case .faults: return
        case .flood: config.load = InboundLoad(dispatch: .consensusFirst)
        case .floodArrivalOrder: config.load = InboundLoad(dispatch: .arrivalOrder)
        case .proposalsBudget: config.proposals = ProposalLoad(policy: .budget)
        case .proposalsFixed: config.proposals = ProposalLoad(policy: .fixed)
        }
        config.livenessPerHeight = 1_000
        config.livenessSlack = 2_000
    }

    /// The scenario a configuration runs (parameters other than the defaults are not named).
    init(_ config: SimulationConfig) {
        if let proposals = config.proposals {
            self = proposals.policy == .budget ? .proposalsBudget : .proposalsFixed
        } else if let load = config.load {
            self = load.dispatch == .consensusFirst ? .flood : .floodArrivalOrder
        } else {
            self = .faults
        }
    }
}
