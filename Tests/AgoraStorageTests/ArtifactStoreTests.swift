import AgoraCore
import AgoraStorage
import Foundation
import Synchronization
import Testing

/// The artifact store on a temporary directory: round trip, refusal of wrong content, crash
/// leftovers, damage found on read and by the start-up scan, races between equal uploads, and
/// memory that does not grow with the artifact.
@Suite("Artifact store")
struct ArtifactStoreTests {
    static func tempRoot() -> String { NSTemporaryDirectory() + "agora-artifacts-\(UUID().uuidString)" }
    static func bytes(_ n: Int, seed: UInt8 = 1) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) } }

    final class Events: Sendable {
        let all = Mutex<[ArtifactStore.Event]>([])
        var list: [ArtifactStore.Event] { all.withLock { $0 } }
        func observer() -> @Sendable (ArtifactStore.Event) -> Void { { e in self.all.withLock { $0.append(e) } } }
    }

    @Test("bytes written come back verified, under their SHA-256, in the fan-out layout")
    func roundTrip() throws {
        let store = try ArtifactStore(root: Self.tempRoot())
        let data = Self.bytes(700_000)
        let id = try store.put(data)
        #expect(id == Hash.sha256(data))
        #expect(try store.read(id) == data)
        #expect(store.size(of: id) == 700_000)
        let hex = id.hex
        #expect(FileManager.default.fileExists(atPath: "\(store.layout.root)/sha256/\(hex.prefix(2))/\(hex.dropFirst(2).prefix(2))/\(hex)"))
        #expect(store.totals.count == 1 && store.totals.bytes == 700_000)
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.layout.tempDirectory).isEmpty)
        // Reopening takes stock of what is there.
        let again = try ArtifactStore(root: store.layout.root)
        #expect(again.totals.count == 1 && again.totals.bytes == 700_000)
    }

    @Test("content that does not hash to the declared SHA-256 is not stored and leaves no temp file")
    func wrongHash() throws {
        let store = try ArtifactStore(root: Self.tempRoot())
        let data = Self.bytes(1000)
        let claimed = Hash.sha256(Self.bytes(1000, seed: 2))
        #expect(throws: ArtifactError.hashMismatch(expected: claimed, actual: Hash.sha256(data))) { try store.put(data, expected: claimed) }
        #expect(!store.contains(claimed) && !store.contains(Hash.sha256(data)))
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.layout.tempDirectory).isEmpty)
        #expect(store.totals.count == 0)
    }

    @Test("a writer refuses bytes past the declared size or the limit before writing them")
    func limits() throws {
        var limits = ArtifactStore.Limits()
        limits.maxArtifactBytes = 1000
        let store = try ArtifactStore(root: Self.tempRoot(), limits: limits)
        #expect(throws: ArtifactError.tooLarge(limit: 1000, attempted: 1001)) { _ = try store.writer(expectedHash: nil, expectedSize: 1001) }
        let w = try store.writer(expectedHash: nil, expectedSize: 10)
        try w.write(Self.bytes(8))
        #expect(throws: ArtifactError.sizeMismatch(expected: 10, actual: 12)) { try w.write(Self.bytes(4)) }
        #expect(w.written == 8)
        w.discard()
        let free = try store.writer(expectedHash: nil, expectedSize: nil)
        try free.write(Self.bytes(1000))
        #expect(throws: ArtifactError.tooLarge(limit: 1000, attempted: 1001)) { try free.write([0]) }
        free.discard()
    }

    @Test("the quota counts stored bytes")
    func quota() throws {
        var limits = ArtifactStore.Limits()
        limits.quotaBytes = 1500
        let store = try ArtifactStore(root: Self.tempRoot(), limits: limits)
        try store.put(Self.bytes(1000))
        #expect(throws: ArtifactError.quotaExceeded(quota: 1500, stored: 1000, requested: 600)) { try store.put(Self.bytes(600, seed: 9)) }
    }

    @Test("temp files torn by a crash are removed by the start-up scan; stray files are quarantined")
    func tornTempFiles() throws {
        let root = Self.tempRoot()
        let store = try ArtifactStore(root: root)
        let good = try store.put(Self.bytes(5000))
        // A crash mid-upload: a writer's temp file with half the bytes, never committed.
        let torn = try store.writer(expectedHash: Hash.sha256(Self.bytes(9000)), expectedSize: 9000)
        try torn.write(Self.bytes(4500))
        let tornPath = torn.tempPath
        #expect(FileManager.default.fileExists(atPath: tornPath))
        // A file in the content tree that is not named by a hash.
        try Data("junk".utf8).write(to: URL(fileURLWithPath: root + "/sha256/zz-not-a-hash"))
        let events = Events()
        let reopened = try ArtifactStore(root: root, observer: events.observer())
        let report = reopened.scan()
        #expect(report.tempFilesRemoved == 1)
        #expect(report.verified == 1)
        #expect(report.quarantined == ["zz-not-a-hash"])
        #expect(!FileManager.default.fileExists(atPath: tornPath))
        #expect(reopened.quarantinedFiles.count == 1)
        #expect(try reopened.read(good) == Self.bytes(5000))
        #expect(events.list.contains(.tempRemoved(file: tornPath)))
        torn.discard()
    }

    @Test("a damaged file fails on read with a typed error, is quarantined, and the reader never completes")
    func damagedOnRead() throws {
        var limits = ArtifactStore.Limits()
        limits.pieceBytes = 64 * 1024
        let events = Events()
        let store = try ArtifactStore(root: Self.tempRoot(), limits: limits, observer: events.observer())
        let data = Self.bytes(300_000)
        let id = try store.put(data)
        try flipByte(store.layout.path(for: id), at: 299_000)
        let reader = try store.open(id)
        var delivered = 0
        var failure: ArtifactError?
        do { while let piece = try reader.next() { delivered += piece.count } } catch { failure = error }
        guard case .corrupted(id, _)? = failure else { Issue.record("expected corrupted, got \(String(describing: failure))"); return }
        #expect(delivered == 300_000)  // bytes were read, but `next()` never said "verified end"
        #expect(!store.contains(id))
        #expect(store.quarantinedFiles.count == 1 && store.quarantinedFiles[0].hasPrefix(id.hex))
        #expect(store.totals.count == 0 && store.totals.verificationFailures == 1 && store.totals.quarantined == 1)
        #expect(throws: ArtifactError.notFound(id)) { _ = try store.open(id) }
        #expect(events.list.contains { if case .verificationFailed(id, _) = $0 { true } else { false } })
    }

    @Test("the start-up scan quarantines damaged and truncated files and keeps the good ones")
    func damagedAtScan() throws {
        let root = Self.tempRoot()
        let store = try ArtifactStore(root: root)
        let a = try store.put(Self.bytes(10_000, seed: 1))
        let b = try store.put(Self.bytes(10_000, seed: 2))
        let c = try store.put(Self.bytes(10_000, seed: 3))
        try flipByte(store.layout.path(for: b), at: 5)
        truncate(store.layout.path(for: c), 100)
        let reopened = try ArtifactStore(root: root)
        let report = reopened.scan()
        #expect(report.verified == 1)
        #expect(Set(report.quarantined.map { String($0.suffix(64)) }) == [b.hex, c.hex])
        #expect(reopened.contains(a) && !reopened.contains(b) && !reopened.contains(c))
        #expect(reopened.totals.count == 1 && reopened.totals.bytes == 10_000)
        #expect(reopened.quarantinedFiles.count == 2)
    }

    @Test("concurrent uploads of the same content store it once")
    func concurrentSameContent() async throws {
        let store = try ArtifactStore(root: Self.tempRoot())
        let data = Self.bytes(200_000)
        let ids = try await withThrowingTaskGroup(of: Hash.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    let w = try store.writer(expectedHash: Hash.sha256(data), expectedSize: Int64(data.count))
                    for start in stride(from: 0, to: data.count, by: 10_000) { try w.write(Array(data[start..<min(start + 10_000, data.count)])) }
                    return try store.commit(w).sha256
                }
            }
            return try await group.reduce(into: [Hash]()) { $0.append($1) }
        }
        #expect(Set(ids) == [Hash.sha256(data)])
        #expect(store.totals.count == 1 && store.totals.bytes == 200_000)
        #expect(try store.read(Hash.sha256(data)) == data)
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.layout.tempDirectory).isEmpty)
    }

    @Test("writing and verifying 256 MiB keeps memory flat")
    func memoryIndependentOfSize() throws {
        let store = try ArtifactStore(root: Self.tempRoot())
        defer { try? FileManager.default.removeItem(atPath: store.layout.root) }
        let piece = 1 << 20
        let total = 256
        var chunk = [UInt8](repeating: 0, count: piece)
        let before = residentMiB()
        let w = try store.writer(expectedHash: nil, expectedSize: Int64(total * piece))
        for i in 0..<total {
            chunk.withUnsafeMutableBytes { raw in raw.storeBytes(of: UInt64(i), toByteOffset: 0, as: UInt64.self) }
            try w.write(chunk)
        }
        let id = try store.commit(w).sha256
        let reader = try store.open(id)
        var read = 0
        while let p = try reader.next() { read += p.count }
        #expect(read == total * piece)
        let growth = residentMiB() - before
        #expect(growth < 48, "RSS grew by \(growth) MiB for a 256 MiB artifact")
    }

    func flipByte(_ path: String, at offset: Int) throws {
        let h = try #require(FileHandle(forUpdatingAtPath: path))
        try h.seek(toOffset: UInt64(offset))
        let b = try h.read(upToCount: 1)![0]
        try h.seek(toOffset: UInt64(offset))
        try h.write(contentsOf: [b ^ 0xFF])
        try h.close()
    }

    func residentMiB() -> Double {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return (line.split(separator: " ").dropFirst().first.flatMap { Double($0) } ?? 0) / 1024
    }
}
