import AgoraCore
import AgoraCrypto

/// Framing on an established Noise session: each message is encrypted and sent as a u32
/// little-endian length followed by the ciphertext (at most `maxFrameBytes`). Nonces are the
/// Noise counters, never reused; the sender rekeys its direction after `rekeyAfter` messages
/// (default 2^32) or when asked (a timer), announcing it with a `rekey` message so the receiver
/// switches at the same point.
public struct SecureSession: Sendable {
    public static let maxFrameBytes = 4 * 1024 * 1024

    var send: NoiseCipher
    var receive: NoiseCipher
    public let rekeyAfter: UInt64
    var sentSinceRekey: UInt64 = 0

    public enum SessionError: Error, Equatable, Sendable, CustomStringConvertible {
        case frameTooLarge(Int)
        case decryptionFailed
        case malformedMessage(CodecError)
        case nonceExhausted

        public var description: String {
            switch self {
            case let .frameTooLarge(n): return "frame of \(n) bytes exceeds \(SecureSession.maxFrameBytes)"
            case .decryptionFailed: return "frame failed authentication (tampered, replayed or out of order)"
            case let .malformedMessage(e): return "message does not decode: \(e)"
            case .nonceExhausted: return "session nonce exhausted"
            }
        }
    }

    public init(send: NoiseCipher, receive: NoiseCipher, rekeyAfter: UInt64 = 1 << 32) {
        self.send = send
        self.receive = receive
        self.rekeyAfter = max(1, rekeyAfter)
    }

    /// Encrypts a message into one frame (length prefix included). When the rekey threshold is
    /// reached, a `rekey` frame is appended and the sending key switches after it.
    public mutating func seal(_ message: WireMessage) throws(SessionError) -> [UInt8] {
        var out = try frame(message.canonicalBytes)
        sentSinceRekey += 1
        if sentSinceRekey >= rekeyAfter { out += try rekeyNow() }
        return out
    }

    /// Emits a `rekey` frame and switches the sending key (use on a timer).
    public mutating func rekeyNow() throws(SessionError) -> [UInt8] {
        let out = try frame(WireMessage.rekey.canonicalBytes)
        send.rekey()
        sentSinceRekey = 0
        return out
    }

    mutating func frame(_ plaintext: [UInt8]) throws(SessionError) -> [UInt8] {
        let ct: [UInt8]
        do { ct = try send.encrypt(plaintext) } catch { throw .nonceExhausted }
        guard ct.count <= SecureSession.maxFrameBytes else { throw .frameTooLarge(ct.count) }
        var w = CanonicalWriter(capacity: ct.count + 4)
        w.write(UInt32(ct.count))
        w.writeFixed(ct)
        return w.bytes
    }

    /// Decrypts one frame's body (without its length prefix). Returns nil for a `rekey`
    /// control frame, after switching the receiving key.
    public mutating func open(_ body: [UInt8]) throws(SessionError) -> WireMessage? {
        guard body.count <= SecureSession.maxFrameBytes else { throw .frameTooLarge(body.count) }
        let plaintext: [UInt8]
        do { plaintext = try receive.decrypt(body) } catch { throw .decryptionFailed }
        let message: WireMessage
        do { message = try WireMessage(canonicalBytes: plaintext) } catch { throw .malformedMessage(error) }
        if case .rekey = message {
            receive.rekey()
            return nil
        }
        return message
    }
}

/// Splits a byte stream into frame bodies. The length is checked against the limit before any
/// buffer is reserved for it, so a peer cannot make us allocate by announcing a huge frame.
public struct FrameDecoder: Sendable {
    var buffer: [UInt8] = []
    var start = 0
    public let maxFrameBytes: Int

    public init(maxFrameBytes: Int = SecureSession.maxFrameBytes) { self.maxFrameBytes = maxFrameBytes }

    public mutating func append(_ bytes: some Collection<UInt8>) { buffer.append(contentsOf: bytes) }

    /// The next complete frame body, nil if more bytes are needed.
    public mutating func next() throws(SecureSession.SessionError) -> [UInt8]? {
        let available = buffer.count - start
        guard available >= 4 else { compact(); return nil }
        let length = Int(UInt32(buffer[start]) | UInt32(buffer[start + 1]) << 8 | UInt32(buffer[start + 2]) << 16 | UInt32(buffer[start + 3]) << 24)
        guard length <= maxFrameBytes else { throw .frameTooLarge(length) }
        guard available >= 4 + length else { compact(); return nil }
        let body = Array(buffer[(start + 4)..<(start + 4 + length)])
        start += 4 + length
        return body
    }

    /// Bytes held waiting for the rest of a frame.
    public var pendingBytes: Int { buffer.count - start }

    mutating func compact() {
        if start > 0 {
            buffer.removeFirst(start)
            start = 0
        }
    }
}
