import AgoraClient
import AgoraCore
import AgoraNetwork
import AgoraStorage
import Foundation
import Logging
import Synchronization

extension StateSyncRunner {
    /// Carries out the machine's actions (and those they lead to); returns the attempt's end, if
    /// it ended.
    func perform(_ first: [StateSync.Action], _ s: inout AttemptState, links: LinkTable, source: P2PLightSource,
                 sink: AsyncStream<Event>.Continuation, group: inout TaskGroup<Void>, now: UInt64) -> Result<Outcome, AttemptFailure>? {
        var queue = first
        while !queue.isEmpty {
            let action = queue.removeFirst()
            switch action {
            case let .askSnapshots(peer):
                try? links.table.withLock { $0[peer] }?.send(.getSnapshots)
            case let .requestPiece(peer, height, index, offset, length):
                try? links.table.withLock { $0[peer] }?.send(.getSnapshotChunk(height: height, index: UInt32(index), offset: offset, length: length))
            case let .verifyHeader(height):
                logger.info("state sync: verifying the snapshot's header with the light client", metadata: ["height": .stringConvertible(height)])
                group.addTask { [trust] in
                    do {
                        var client = try await LightClient(root: trust, source: source)
                        sink.yield(.verified(try await client.verify(height: height, source: source)))
                    } catch {
                        sink.yield(.notVerified(height, "\(error)"))
                    }
                }
            case let .ban(peer, fault):
                let link = links.table.withLock { $0.removeValue(forKey: peer) }
                let address = link?.remoteAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "?"
                logger.notice("state sync: peer banned", metadata: ["peer": .string(peer.hex), "address": .string(address), "fault": .string("\(fault)")])
                if let link { s.banned.append((peer, link.identity.identity, address, fault)) }
                progress.update { $0.bannedPeers += 1 }
                link?.close()
            case let .penalize(peer, fault):
                logger.info("state sync: peer too slow", metadata: ["peer": .string(peer.hex), "fault": .string("\(fault)")])
            case let .chunkVerified(index, bytes):
                do { try SnapshotFiles.writeSynced(bytes, to: chunkPath(s, index)) } catch {
                    return .failure(AttemptFailure(reason: "cannot store chunk \(index): \(error)", banned: s.banned))
                }
            case let .restore(manifest):
                progress.update { $0.restoring(manifest) }
                switch restore(manifest, s) {
                case let .success(result): return .success(Outcome(result: result, banned: s.banned))
                case let .failure(error):
                    guard let fault = error as? SnapshotFault else {
                        return .failure(AttemptFailure(reason: "restore failed: \(error)", banned: s.banned))
                    }
                    queue += s.machine.restoreFailed(fault, now: now)
                }
            case let .fail(failure):
                return .failure(AttemptFailure(reason: failure.description, banned: s.banned))
            }
        }
        return nil
    }

    func chunkPath(_ s: AttemptState, _ index: Int) -> String { s.chunkDirectory + "/" + String(format: "chunk-%06d", index) }

    /// Builds the staging database from the verified chunks and the verified header.
    func restore(_ manifest: SnapshotManifest, _ s: AttemptState) -> Result<StateRestore.Result, any Error> {
        guard let block = s.header, block.height == manifest.height else {
            return .failure(StorageError.corrupt(what: "no verified header at the snapshot height \(manifest.height)"))
        }
        let started = ContinuousClock.now
        do {
            let result = try StateRestore.build(stagingPath: stagingPath, identity: identity, manifest: manifest,
                                                header: block.header, seal: block.commit) { index in
                try SnapshotFiles.read(chunkPath(s, index), limit: SnapshotManifest.maxChunkBytes)
            }
            logger.notice("state sync: snapshot restored", metadata: [
                "height": .stringConvertible(result.height), "entries": .stringConvertible(result.entries),
                "chunks": .stringConvertible(manifest.chunkCount), "seconds": .string("\(ContinuousClock.now - started)"),
            ])
            return .success(result)
        } catch {
            return .failure(error)
        }
    }

    var stagingPath: String { workDirectory + "/agora.sqlite" }

    /// Dials one bootstrap peer until it links, then reads its messages into the event stream
    /// until it leaves; dials again after a second.
    static func dial(_ transport: Transport, _ peer: HostPort, sink: AsyncStream<Event>.Continuation, logger: Logger) async {
        while !Task.isCancelled {
            if let link = try? await transport.dial(host: peer.host, port: peer.port) {
                sink.yield(.linked(link))
                do { for try await m in link.messages { sink.yield(.message(link.peerID, m)) } } catch {}
                sink.yield(.left(link.peerID))
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }
}
