import AgoraCore
import AgoraStorage
import Hummingbird
import Logging
import NIOCore

/// Streams a stored artifact to a client without ever completing a response with unverified
/// bytes. The reader re-hashes the whole file as it goes; the last piece sent is held back
/// until the reader has verified the end. So:
///
/// - an artifact of one piece (≤ 256 KiB) is verified before the status line is sent: a damaged
///   one is a plain `500 artifact_corrupted`;
/// - a larger one streams, and a mismatch found at the end aborts the connection before the
///   held-back piece and before the body reaches its `Content-Length`: every HTTP client sees a
///   truncated response, never a complete wrong one. `ETag`/`X-Agora-SHA256` let the client
///   verify on its own too (`agora artifact get` does).
///
/// A `Range` request reads (and hashes) the whole file but sends only the range, for the same
/// guarantee. Memory: two pieces per download, whatever the artifact's size.
struct VerifiedDownload {
    let reader: ArtifactReader
    let range: ClosedRange<Int64>?

    func response(headers: HTTPFields, logger: Logger) async throws -> Response {
        var headers = headers
        let size = reader.size
        let range = self.range ?? (size > 0 ? 0...(size - 1) : nil)
        let length = range.map { Int($0.upperBound - $0.lowerBound + 1) } ?? 0
        headers[.contentLength] = String(length)
        let status: HTTPResponse.Status
        if let r = self.range {
            status = .partialContent
            headers[.contentRange] = "bytes \(r.lowerBound)-\(r.upperBound)/\(size)"
        } else {
            status = .ok
        }
        // Read the first piece now: a one-piece artifact is then verified before anything is sent.
        var offset: Int64 = 0
        let first: ArraySlice<UInt8>?
        do { first = try reader.next() } catch { throw APIRoutes.storeError(error) }
        var pending = first.map { Self.slice($0, at: 0, range) } ?? nil
        offset = Int64(first?.count ?? 0)
        if first != nil, offset >= size {
            // Whole file in one piece: let the reader reach its verdict before responding.
            do { _ = try reader.next() } catch { throw APIRoutes.storeError(error) }
            let body = pending.map { ByteBuffer(bytes: $0) } ?? ByteBuffer()
            return Response(status: status, headers: headers, body: .init(byteBuffer: body))
        }
        let reader = UncheckedReader(reader: reader)
        let startOffset = offset
        let initial = pending.map { UncheckedBytes(bytes: Array($0)) }
        pending = nil
        let body = ResponseBody(contentLength: length) { writer in
            var offset = startOffset
            var held = initial?.bytes
            do {
                while let piece = try reader.reader.next() {
                    let part = Self.slice(piece, at: offset, range)
                    offset += Int64(piece.count)
                    guard let part, !part.isEmpty else { continue }
                    if let h = held { try await writer.write(ByteBuffer(bytes: h)) }
                    held = Array(part)
                }
            } catch let error as ArtifactError {
                logger.error("artifact download aborted: verification failed", metadata: ["sha256": .string(reader.reader.id.hex),
                                                                                         "reason": .string(error.description)])
                throw error
            }
            if let h = held { try await writer.write(ByteBuffer(bytes: h)) }
            try await writer.finish(nil)
        }
        return Response(status: status, headers: headers, body: body)
    }

    /// The part of `piece` (which starts at file offset `at`) inside `range`; nil if none.
    static func slice(_ piece: ArraySlice<UInt8>, at: Int64, _ range: ClosedRange<Int64>?) -> ArraySlice<UInt8>? {
        guard let range else { return piece }
        let start = max(at, range.lowerBound), end = min(at + Int64(piece.count) - 1, range.upperBound)
        guard start <= end else { return nil }
        let base = piece.startIndex
        return piece[(base + Int(start - at))...(base + Int(end - at))]
    }
}

/// The reader moves into the response body's task and is used only there.
private struct UncheckedReader: @unchecked Sendable { let reader: ArtifactReader }
private struct UncheckedBytes: Sendable { let bytes: [UInt8] }

/// A single `Range: bytes=…` (RFC 9110 §14.1.2). Several ranges or a malformed header are
/// ignored (the whole artifact is served, which the RFC allows); a range entirely past the
/// end is 416.
enum ByteRange: Equatable {
    case whole
    case range(ClosedRange<Int64>)
    case unsatisfiable

    static func parse(_ header: String?, size: Int64) -> ByteRange {
        guard let header, header.hasPrefix("bytes="), !header.contains(",") else { return .whole }
        let spec = header.dropFirst("bytes=".count).trimmingCharacters(in: .whitespaces)
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return .whole }
        let a = parts[0], b = parts[1]
        if a.isEmpty {
            guard let n = Int64(b), n > 0 else { return b.isEmpty ? .whole : .unsatisfiable }
            return size == 0 ? .unsatisfiable : .range(max(0, size - n)...(size - 1))
        }
        guard let start = Int64(a), start >= 0 else { return .whole }
        guard start < size else { return .unsatisfiable }
        if b.isEmpty { return .range(start...(size - 1)) }
        guard let end = Int64(b), end >= start else { return .whole }
        return .range(start...min(end, size - 1))
    }
}
