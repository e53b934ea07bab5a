import AgoraStorage
import Foundation
import Logging
import Metrics
import Synchronization

/// The artifact store's metrics (`agora_artifacts_*`, docs/metrics.md) and its health
/// component. The store and the upload registry report through the callbacks made here, so
/// neither depends on a metrics library.
public final class ArtifactMetrics: Sendable {
    public let bytes: Gauge
    public let count: Gauge
    public let uploadsInProgress: Gauge
    public let verificationFailures: Metrics.Counter
    public let quarantined: Metrics.Counter
    public let storedTotal: Metrics.Counter

    public init(factory: any MetricsFactory & Sendable) {
        bytes = Gauge(label: "agora_artifacts_bytes", factory: factory)
        count = Gauge(label: "agora_artifacts_files", factory: factory)
        uploadsInProgress = Gauge(label: "agora_artifacts_uploads_in_progress", factory: factory)
        verificationFailures = Metrics.Counter(label: "agora_artifacts_verification_failures_total", factory: factory)
        quarantined = Metrics.Counter(label: "agora_artifacts_quarantined_total", factory: factory)
        storedTotal = Metrics.Counter(label: "agora_artifacts_stored_total", factory: factory)
    }

    public static let help: [String: String] = [
        "agora_artifacts_bytes": "Bytes of verified artifacts in the store.",
        "agora_artifacts_files": "Artifacts in the store.",
        "agora_artifacts_uploads_in_progress": "Chunked artifact uploads started and not yet completed, aborted or expired.",
        "agora_artifacts_verification_failures_total": "Stored artifacts that did not hash to their name when read or scanned.",
        "agora_artifacts_quarantined_total": "Files moved to artifacts/quarantine (damaged or stray).",
        "agora_artifacts_stored_total": "Artifacts newly written to the store.",
    ]

    /// The store observer: counters on events, gauges from the store's totals.
    public func observer(logger: Logger, totals: @escaping @Sendable () -> ArtifactStore.Totals?) -> @Sendable (ArtifactStore.Event) -> Void {
        { [self] event in
            switch event {
            case let .stored(id, size):
                storedTotal.increment()
                logger.info("artifact stored", metadata: ["sha256": .string(id.hex), "bytes": .stringConvertible(size)])
            case let .verificationFailed(id, reason):
                verificationFailures.increment()
                logger.error("artifact failed verification", metadata: ["sha256": .string(id.hex), "reason": .string(reason)])
            case let .quarantined(file, reason):
                quarantined.increment()
                logger.warning("artifact file quarantined", metadata: ["file": .string(file), "reason": .string(reason)])
            case let .tempRemoved(file):
                logger.notice("removed a torn artifact temp file", metadata: ["file": .string(file)])
            }
            if let t = totals() { record(t) }
        }
    }

    public func record(_ totals: ArtifactStore.Totals) {
        bytes.record(totals.bytes)
        count.record(totals.count)
    }
}

/// Health of the artifact store: the disk takes an fsynced write in `tmp/`; the detail carries
/// the count, bytes and how many files sit in quarantine. Quarantined files do not make the
/// node unready (the rest of the store is fine) but are named so an operator looks.
public final class ArtifactHealth: HealthCheck {
    public let component = "artifacts"
    let store: ArtifactStore
    let probe = Mutex<(at: ContinuousClock.Instant, status: HealthStatus)?>(nil)

    public init(store: ArtifactStore) { self.store = store }

    public func check() async -> HealthStatus {
        if let cached = probe.withLock({ $0 }), ContinuousClock.now - cached.at < .seconds(1) { return cached.status }
        let status: HealthStatus
        do {
            try store.probeWrite()
            let t = store.totals
            status = .ok("writable, \(t.count) artifacts, \(t.bytes) bytes, \(store.quarantinedFiles.count) quarantined")
        } catch {
            status = .failing("write probe failed: \(error)")
        }
        probe.withLock { $0 = (ContinuousClock.now, status) }
        return status
    }
}
