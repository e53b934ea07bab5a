import Foundation

/// A minimal blocking WebSocket client for tools that read a node's `/api/v1/events` over plain
/// HTTP to an IPv4 address (`agora bench events`, `agora simulate network`, the `agora mcp`
/// bridge's resource subscriptions): connect, upgrade, send masked text frames, read text
/// frames. One thread per client; no TLS, no extensions, no fragmentation (the node sends none).
/// Written here because the only client library, WSClient, would pull TLS into every build for
/// tools that need none.
package final class LoopbackWebSocket {
    enum Failure: Error, CustomStringConvertible {
        case connect(port: Int, errno: Int32), upgradeRefused(String), closed, frameTooLarge(UInt64), notIPv4(String)

        var description: String {
            switch self {
            case let .connect(port, e): return "cannot connect to port \(port) (errno \(e))"
            case let .notIPv4(host): return "\(host.prefix(80)) is not an IPv4 address"
            case let .upgradeRefused(status): return "WebSocket upgrade refused: \(status)"
            case .closed: return "connection closed"
            case let .frameTooLarge(n): return "server frame of \(n) bytes (limit \(LoopbackWebSocket.maxFrameBytes))"
            }
        }
    }

    /// Larger frames are refused before they are buffered (the node's event batches are far smaller).
    static let maxFrameBytes = 16 * 1024 * 1024

    private let fd: Int32
    private var pending: [UInt8] = []
    private var buffer = [UInt8](repeating: 0, count: 1 << 20)

    /// Connects and upgrades; reads then time out after `readTimeout` seconds (so callers can
    /// check a stop flag between frames).
    package init(host: String = "127.0.0.1", port: Int, path: String = "/api/v1/events", readTimeout: Int = 1) throws {
        guard Self.isIPv4(host) else { throw Failure.notIPv4(host) }
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure.connect(port: port, errno: errno) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr(host)
        let ok = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard ok == 0 else {
            let e = errno
            close(fd)
            throw Failure.connect(port: port, errno: e)
        }
        var timeout = timeval(tv_sec: readTimeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let request = "GET \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
        var header = [UInt8]()
        var byte: UInt8 = 0
        while !header.suffix(4).elementsEqual([13, 10, 13, 10]) {
            guard recv(fd, &byte, 1, 0) == 1, header.count < 16 * 1024 else {
                close(fd)
                throw Failure.upgradeRefused("no complete response")
            }
            header.append(byte)
        }
        let text = String(decoding: header, as: UTF8.self)
        guard text.hasPrefix("HTTP/1.1 101") else {
            close(fd)
            throw Failure.upgradeRefused(String(text.prefix { $0 != "\r" }))
        }
    }

    deinit { close(fd) }

    /// Dotted-quad IPv4 text, the only host form this client connects to (no name resolution).
    package static func isIPv4(_ host: String) -> Bool {
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { $0.count <= 3 && UInt8($0) != nil }
    }

    /// Sends one masked text frame (client frames must be masked, RFC 6455 §5.3).
    package func sendText(_ text: String) {
        let payload = Array(text.utf8)
        let mask: [UInt8] = [0x5a, 0x17, 0xc3, 0x88]
        var frame: [UInt8] = [0x81]
        if payload.count < 126 {
            frame.append(0x80 | UInt8(payload.count))
        } else {
            frame += [0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xff)]
        }
        frame += mask
        frame += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        _ = frame.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
    }

    /// The payloads of the text frames that are complete after one read; empty on a read
    /// timeout. Throws `closed` when the server closed the connection.
    package func readTextFrames() throws -> [ArraySlice<UInt8>] {
        let n = recv(fd, &buffer, buffer.count, 0)
        if n == 0 { throw Failure.closed }
        if n < 0 {
            // Only the read timeout (or a signal) means "nothing yet". Any other error (a reset
            // connection) repeats forever: returning [] for it spun the caller's loop at full CPU
            // and starved the nodes of a simulation on two cores.
            if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return [] }
            throw Failure.closed
        }
        pending += buffer[0..<n]
        var frames: [ArraySlice<UInt8>] = []
        var offset = 0
        while pending.count - offset >= 2 {
            var length = Int(pending[offset + 1] & 0x7f)
            var head = 2
            if length == 126 {
                guard pending.count - offset >= 4 else { break }
                length = Int(pending[offset + 2]) << 8 | Int(pending[offset + 3]); head = 4
            } else if length == 127 {
                guard pending.count - offset >= 10 else { break }
                let announced = (0..<8).reduce(UInt64(0)) { $0 << 8 | UInt64(pending[offset + 2 + $1]) }
                guard announced <= UInt64(LoopbackWebSocket.maxFrameBytes) else { throw Failure.frameTooLarge(announced) }
                length = Int(announced); head = 10
            }
            guard pending.count - offset >= head + length else { break }
            let opcode = pending[offset] & 0x0f
            if opcode == 1 { frames.append(pending[(offset + head)..<(offset + head + length)]) }
            if opcode == 8 { throw Failure.closed }
            offset += head + length
        }
        // Copy the frames out before dropping the consumed bytes.
        let out = frames.map { ArraySlice(Array($0)) }
        pending.removeFirst(offset)
        return out
    }
}
