import AgoraStorage
import Dispatch
import Logging
import ServiceLifecycle

/// The artifact store's background work: the start-up scan (verifies every stored file,
/// quarantines damaged and stray ones, removes torn temp files) and then a periodic sweep of
/// expired uploads. The scan runs here rather than before the API starts so that a large
/// store does not delay start-up; reads during the scan are verified individually anyway.
public struct ArtifactJanitor: Service {
    let store: ArtifactStore
    let uploads: ArtifactUploads
    let metrics: ArtifactMetrics
    let logger: Logger

    public init(store: ArtifactStore, uploads: ArtifactUploads, metrics: ArtifactMetrics, logger: Logger) {
        self.store = store
        self.uploads = uploads
        self.metrics = metrics
        self.logger = logger
    }

    public func run() async throws {
        let start = ContinuousClock.now
        // Blocking file I/O for as long as the store takes to read: off the cooperative pool.
        let report = await withCheckedContinuation { (done: CheckedContinuation<ArtifactStore.ScanReport, Never>) in
            DispatchQueue.global(qos: .utility).async { [store] in done.resume(returning: store.scan()) }
        }
        metrics.record(store.totals)
        let level: Logger.Level = report.quarantined.isEmpty ? .info : .warning
        logger.log(level: level, "artifact store scanned", metadata: [
            "verified": .stringConvertible(report.verified), "bytes": .stringConvertible(report.bytes),
            "quarantined": .stringConvertible(report.quarantined.count), "temp_removed": .stringConvertible(report.tempFilesRemoved),
            "seconds": .string("\(ContinuousClock.now - start)"),
        ])
        let period = max(Duration.seconds(1), uploads.config.ttl / 4)
        // Graceful shutdown cancels the sleep; nothing here needs finishing.
        try? await cancelWhenGracefulShutdown { [uploads, logger] in
            while !Task.isCancelled {
                try await Task.sleep(for: period)
                let n = uploads.sweep()
                if n > 0 { logger.info("expired artifact uploads removed", metadata: ["count": .stringConvertible(n)]) }
            }
        }
    }
}
