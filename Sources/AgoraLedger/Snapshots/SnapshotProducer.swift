// Snapshots of the state (docs/state-sync.md): written in the background every
// `snapshot.interval` heights, kept `snapshot.keep` deep, listed by the API and served to peers.

import AgoraCore
import AgoraStorage
import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// Writes a snapshot of the state every `interval` heights without ever blocking consensus: at
/// the commit of such a height (under the chain's commit lock, so no later block can slip in)
/// it only opens an SQLite read transaction on the state as committed (`openStateSnapshot`,
/// milliseconds); the chunks are cut and written by `run`, in the background, while blocks keep
/// committing. If a snapshot is still being written when the next one is due, the newer one
/// waits and an older waiting one is dropped (each open view pins the WAL).
public final class SnapshotProducer: Service, Sendable {
    public struct Config: Sendable, Equatable {
        public var interval: UInt64
        public var keep: Int
        public var chunkBytes: Int
        public init(interval: UInt64 = 1_000, keep: Int = 2, chunkBytes: Int = SnapshotManifest.maxChunkBytes) {
            self.interval = interval
            self.keep = keep
            self.chunkBytes = chunkBytes
        }
    }

    public let files: SnapshotFiles
    let config: Config
    let chainID: String
    let logger: Logger
    let written: Counter
    let seconds: Gauge
    private let due: AsyncStream<StateReadSnapshot>
    private let dueContinuation: AsyncStream<StateReadSnapshot>.Continuation

    public init(chain: Chain, directory: String, config: Config, logger: Logger) {
        files = SnapshotFiles(directory: directory)
        self.config = config
        chainID = chain.identity.chainID
        self.logger = logger
        written = Counter(label: "agora_snapshots_written_total", factory: chain.metrics.factory)
        seconds = Gauge(label: "agora_snapshot_write_seconds", factory: chain.metrics.factory)
        (due, dueContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
        let store = chain.store
        chain.feed.onCommit { [dueContinuation, logger] block, _ in
            let height = block.header.height
            guard config.interval > 0, height % config.interval == 0 else { return }
            do {
                if let view = try store.openStateSnapshot(height: height) { dueContinuation.yield(view) }
            } catch {
                logger.warning("snapshot skipped", metadata: ["height": .stringConvertible(height), "reason": .string("\(error)")])
            }
        }
    }

    /// Stored snapshots, highest first.
    public var list: [SnapshotManifest] { files.list() }

    public func run() async throws {
        files.prune(keep: config.keep)
        await withTaskCancellationOrGracefulShutdownHandler {
            for await view in due {
                write(view)
            }
        } onCancelOrGracefulShutdown: { [dueContinuation] in
            dueContinuation.finish()
        }
    }

    func write(_ view: StateReadSnapshot) {
        let started = ContinuousClock.now
        do {
            let manifest = try files.write(chainID: chainID, height: view.height, stateRoot: view.stateRoot) { sink in
                try view.chunks(maxBytes: config.chunkBytes, sink)
            }
            files.prune(keep: config.keep)
            let elapsed = ContinuousClock.now - started
            written.increment()
            seconds.record(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            logger.info("snapshot written", metadata: [
                "height": .stringConvertible(manifest.height), "chunks": .stringConvertible(manifest.chunkCount),
                "entries": .stringConvertible(manifest.entryCount), "seconds": .string("\(elapsed)"),
            ])
        } catch {
            logger.warning("snapshot failed", metadata: ["height": .stringConvertible(view.height), "reason": .string("\(error)")])
        }
    }
}
