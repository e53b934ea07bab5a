import CoreMetrics
import Foundation
import Metrics
import Synchronization

/// The mediator's metrics (`agora_mediator_*`, docs/metrics.md): candidate pairs scored,
/// proposals submitted, settlements of this mediator accepted by every party, LLM latency,
/// errors by kind, retries, fallbacks to the built-in matcher, and the breaker's state
/// (0 closed, 1 half-open, 2 open).
public final class MediatorMetrics: Sendable {
    public let candidatesScored: Metrics.Counter
    public let proposals: Metrics.Counter
    public let proposalFailures: Metrics.Counter
    public let acceptances: Metrics.Counter
    public let llmLatency: Metrics.Timer
    public let llmRetries: Metrics.Counter
    public let fallbacks: Metrics.Counter
    public let breakerState: Gauge
    let factory: any MetricsFactory & Sendable
    private let errorCounters = Mutex<[String: Metrics.Counter]>([:])

    public init(factory: any MetricsFactory & Sendable) {
        self.factory = factory
        candidatesScored = Metrics.Counter(label: "agora_mediator_candidates_scored_total", factory: factory)
        proposals = Metrics.Counter(label: "agora_mediator_proposals_total", factory: factory)
        proposalFailures = Metrics.Counter(label: "agora_mediator_proposal_failures_total", factory: factory)
        acceptances = Metrics.Counter(label: "agora_mediator_acceptances_total", factory: factory)
        llmLatency = Metrics.Timer(label: "agora_mediator_llm_latency_seconds", preferredDisplayUnit: .seconds, factory: factory)
        llmRetries = Metrics.Counter(label: "agora_mediator_llm_retries_total", factory: factory)
        fallbacks = Metrics.Counter(label: "agora_mediator_fallbacks_total", factory: factory)
        breakerState = Gauge(label: "agora_mediator_llm_breaker_state", factory: factory)
    }

    public static let disabled = MediatorMetrics(factory: NOOPMetricsHandler.instance)

    public func llmErrors(_ kind: String) -> Metrics.Counter {
        errorCounters.withLock { c in
            if let x = c[kind] { return x }
            let x = Metrics.Counter(label: "agora_mediator_llm_errors_total", dimensions: [("kind", kind)], factory: factory)
            c[kind] = x
            return x
        }
    }

    public static let help: [String: String] = [
        "agora_mediator_candidates_scored_total": "Candidate intent pairs the mediator's matcher judged.",
        "agora_mediator_proposals_total": "Settlement proposals the mediator submitted.",
        "agora_mediator_proposal_failures_total": "Settlement proposals the mediator could not submit (refused by the mempool).",
        "agora_mediator_acceptances_total": "Settlements of this mediator that every party accepted.",
        "agora_mediator_llm_latency_seconds": "Latency of calls to the LLM provider.",
        "agora_mediator_llm_retries_total": "Retried calls to the LLM provider.",
        "agora_mediator_llm_errors_total": "Failed calls to the LLM provider by kind (timeout, transport, status, malformed).",
        "agora_mediator_fallbacks_total": "Batches the built-in matcher judged because the LLM failed or its breaker was open.",
        "agora_mediator_llm_breaker_state": "The LLM circuit breaker: 0 closed, 1 half-open, 2 open.",
    ]
}

