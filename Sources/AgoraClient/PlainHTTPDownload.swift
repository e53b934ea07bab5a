import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A blocking HTTP/1.1 GET over plain TCP that hands the body to a sink in fixed 256 KiB pieces.
///
/// Why not URLSession: on Linux it pushes received data onto the delegate queue with no back
/// pressure, so a sink slower than loopback (a disk, a hash in a debug build) lets memory grow
/// with the artifact — measured at +100 MiB for 256 MiB. Reading the socket only as fast as the
/// sink consumes lets TCP flow control slow the node down instead. Plain `http://` only (the
/// node's API listens on loopback by default; TLS sits in a proxy), no redirects, and a body
/// with `Content-Length` (the node always sends one for artifacts).
enum PlainHTTPDownload {
    struct Response {
        var status: Int
        var contentLength: Int64?
        var errorBody: Data
    }

    static func get(host: String, port: Int, path: String, headers: [String: String], timeoutSeconds: Int = 60,
                    sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Response {
        let fd = try connect(host: host, port: port, timeoutSeconds: timeoutSeconds)
        defer { close(fd) }
        var request = "GET \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nConnection: close\r\nAccept: application/octet-stream\r\n"
        for (k, v) in headers { request += "\(k): \(v)\r\n" }
        request += "\r\n"
        try Array(request.utf8).withUnsafeBytes { raw in
            var sent = 0
            while sent < raw.count {
                let n = send(fd, raw.baseAddress! + sent, raw.count - sent, SocketPlatform.sendFlags)
                if n < 0 { if errno == EINTR { continue }; throw ArtifactClient.Failure.unreachable("send failed: errno \(errno)") }
                sent += n
            }
        }
        var buffer = [UInt8](repeating: 0, count: 256 * 1024)
        var filled = 0
        // Head: read until the blank line (at most 64 KiB).
        var headEnd: Int?
        while headEnd == nil {
            guard filled < 64 * 1024 else { throw ArtifactClient.Failure.refused("response head over 64 KiB") }
            let n = try receive(fd, &buffer, from: filled)
            guard n > 0 else { throw ArtifactClient.Failure.refused("connection closed before the response head") }
            filled += n
            headEnd = find(Array("\r\n\r\n".utf8), in: buffer[0..<filled])
        }
        let head = String(decoding: buffer[0..<headEnd!], as: UTF8.self)
        let lines = head.components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw ArtifactClient.Failure.refused("malformed status line") }
        var length: Int64?
        for line in lines.dropFirst() {
            let kv = line.split(separator: ":", maxSplits: 1)
            guard kv.count == 2 else { continue }
            let name = kv[0].lowercased(), value = kv[1].trimmingCharacters(in: .whitespaces)
            if name == "content-length" { length = Int64(value) }
            if name == "transfer-encoding", value.lowercased() != "identity" {
                throw ArtifactClient.Failure.refused("unexpected Transfer-Encoding \(value)")
            }
        }
        var response = Response(status: status, contentLength: length, errorBody: Data())
        var received: Int64 = 0
        func deliver(_ slice: ArraySlice<UInt8>) throws {
            received += Int64(slice.count)
            if status == 200 || status == 206 {
                try slice.withUnsafeBytes { try sink($0) }
            } else if response.errorBody.count < 64 * 1024 {
                response.errorBody.append(contentsOf: slice)
            }
        }
        let bodyStart = headEnd! + 4
        if bodyStart < filled { try deliver(buffer[bodyStart..<filled]) }
        while length.map({ received < $0 }) ?? true {
            let n = try receive(fd, &buffer, from: 0)
            if n == 0 { break }
            try deliver(buffer[0..<n])
        }
        if let length, received != length {
            throw ArtifactClient.Failure.refused("download truncated: \(received) of \(length) bytes (the node aborted it)")
        }
        return response
    }

    private static func receive(_ fd: Int32, _ buffer: inout [UInt8], from offset: Int) throws -> Int {
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + offset, $0.count - offset, 0) }
            if n >= 0 { return n }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { throw ArtifactClient.Failure.refused("the node stopped sending (timeout)") }
            throw ArtifactClient.Failure.refused("receive failed: errno \(errno)")
        }
    }

    private static func find(_ needle: [UInt8], in hay: ArraySlice<UInt8>) -> Int? {
        guard hay.count >= needle.count else { return nil }
        var i = hay.startIndex
        while i <= hay.endIndex - needle.count {
            if hay[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }

    private static func connect(host: String, port: Int, timeoutSeconds: Int) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_socktype = SocketPlatform.streamType
        hints.ai_family = AF_UNSPEC
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else {
            throw ArtifactClient.Failure.unreachable("cannot resolve \(host)")
        }
        defer { freeaddrinfo(list) }
        var node: UnsafeMutablePointer<addrinfo>? = first
        while let a = node {
            let fd = socket(a.pointee.ai_family, a.pointee.ai_socktype, a.pointee.ai_protocol)
            if fd >= 0 {
                SocketPlatform.suppressSIGPIPE(fd)
                var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
                setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
                if SocketPlatform.connect(fd, a.pointee.ai_addr, a.pointee.ai_addrlen) == 0 { return fd }
                close(fd)
            }
            node = a.pointee.ai_next
        }
        throw ArtifactClient.Failure.unreachable("cannot connect to \(host):\(port)")
    }
}
