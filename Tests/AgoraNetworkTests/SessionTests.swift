import AgoraCore
import AgoraCrypto
import Crypto
import Testing
@testable import AgoraNetwork

@Suite("Secure session and wire messages")
struct SessionTests {
    func pair(rekeyAfter: UInt64 = 1 << 32) throws -> (SecureSession, SecureSession) {
        var a = NoiseXX(role: .initiator, staticKey: .init()), b = NoiseXX(role: .responder, staticKey: .init())
        _ = try b.readMessage(try a.writeMessage([]))
        _ = try a.readMessage(try b.writeMessage([]))
        _ = try b.readMessage(try a.writeMessage([]))
        let (aSend, aReceive) = try a.split(), (bSend, bReceive) = try b.split()
        return (SecureSession(send: aSend, receive: aReceive, rekeyAfter: rekeyAfter),
                SecureSession(send: bSend, receive: bReceive, rekeyAfter: rekeyAfter))
    }

    func sample() -> [WireMessage] {
        let key = SigningKey()
        let tx = key.sign(TransactionBody(chainID: "c", sender: key.publicKey, nonce: 0, fee: .zero, expiresAt: 9, payload: .faucet))
        let header = BlockHeader(chainID: "c", height: 1, previousHash: .zero, timestamp: 5, proposer: key.publicKey,
                                 txRoot: Block.txRoot([tx]), stateRoot: .zero, validatorSetHash: .zero, lastCommit: nil)
        let block = Block(header: header, transactions: [tx])
        let seal = Commit(height: 1, round: 0, blockHash: block.hash, signatures: [])
        return [.status(.init(chainID: "c", genesisHash: .zero, height: 3, headHash: block.hash)),
                .peers([.init(host: "127.0.0.1", port: 9000)]), .transactions([tx]), .block(block, seal),
                .getBlocks(from: 1, count: 10), .blocks([.init(block: block, seal: seal)]), .ihave([tx.id]), .iwant([tx.id]),
                .ping(7), .pong(7), .graft(.transactions), .prune(.blocks),
                .getArtifact(sha256: tx.id, offset: 5, length: 1024), .artifactPiece(sha256: tx.id, offset: 5, total: 9, bytes: [1, 2, 3, 4]),
                .artifactMissing(sha256: tx.id)]
    }

    @Test("messages cross a session in order, through a byte stream split at random points, with periodic rekeys")
    func roundTrip() throws {
        var (a, b) = try pair(rekeyAfter: 3)
        var stream: [UInt8] = []
        let messages = sample() + sample()
        for m in messages { stream += try a.seal(m) }
        var decoder = FrameDecoder()
        var received: [WireMessage] = []
        var rng = SystemRandomNumberGenerator()
        var offset = 0
        while offset < stream.count {
            let n = min(stream.count - offset, Int.random(in: 1...97, using: &rng))
            decoder.append(stream[offset..<(offset + n)])
            offset += n
            while let body = try decoder.next() {
                if let m = try b.open(body) { received.append(m) }
            }
        }
        #expect(received == messages)
        #expect(decoder.pendingBytes == 0)
    }

    @Test("replayed, reordered, tampered and oversized frames are refused")
    func refusals() throws {
        var (a, b) = try pair()
        let f1 = try a.seal(.ping(1)), f2 = try a.seal(.ping(2))
        var d = FrameDecoder()
        d.append(f2)
        let body2 = try d.next()!
        #expect(throws: SecureSession.SessionError.decryptionFailed) { _ = try b.open(body2) }  // out of order
        d.append(f1)
        var body1 = try d.next()!
        body1[3] ^= 0x10
        #expect(throws: SecureSession.SessionError.decryptionFailed) { _ = try b.open(body1) }  // tampered
        var huge = FrameDecoder()
        huge.append([0xff, 0xff, 0xff, 0x7f])
        #expect(throws: SecureSession.SessionError.frameTooLarge(0x7fffffff)) { _ = try huge.next() }
    }

    @Test("every message kind round-trips and 100,000 random and mutated frames never crash the decoders")
    func fuzz() throws {
        for m in sample() { #expect(try WireMessage(canonicalBytes: m.canonicalBytes) == m) }
        var rng = SystemRandomNumberGenerator()
        let seeds = sample().map(\.canonicalBytes)
        for i in 0..<100_000 {
            var input = i % 3 == 0 ? (0..<Int.random(in: 0...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                                   : seeds.randomElement(using: &rng)!
            if i % 3 != 0, !input.isEmpty {
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    input[Int.random(in: 0..<input.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
            }
            if let m = try? WireMessage(canonicalBytes: input) { #expect(m.canonicalBytes == input) }
            var d = FrameDecoder(maxFrameBytes: 1 << 16)
            d.append(input)
            while (try? d.next()) ?? nil != nil {}
        }
        #expect(throws: CodecError.self) { try WireMessage(canonicalBytes: [5, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0]) }
    }
}
