// The P2P accept gate: the counting rules (pure) and, with real sockets, that half-open
// connections over the caps are closed at accept while a real peer still links.

import AgoraCore
import AgoraCrypto
import Foundation
import NIOCore
import NIOPosix
import Synchronization
import Testing
@testable import AgoraNetwork

@Suite("AcceptGate")
struct AcceptGateTests {
    let limits = AcceptGate.Limits(maxPending: 4, maxPendingPerIP: 2, maxSockets: 6)

    @Test("pending handshakes are capped per address and in total; a finished handshake frees its slot")
    func pendingCaps() {
        var c = AcceptGate.Counts()
        #expect(c.admitInbound(ip: "10.0.0.1", limits) == nil)
        #expect(c.admitInbound(ip: "10.0.0.1", limits) == nil)
        #expect(c.admitInbound(ip: "10.0.0.1", limits) == .pendingPerIP)
        #expect(c.admitInbound(ip: "10.0.0.2", limits) == nil)
        #expect(c.admitInbound(ip: "10.0.0.3", limits) == nil)
        #expect(c.admitInbound(ip: "10.0.0.4", limits) == .pendingCap)
        c.handshakeFinished(ip: "10.0.0.1")
        #expect(c.pending == 3)
        #expect(c.admitInbound(ip: "10.0.0.1", limits) == nil)
        #expect(c.sockets == 5)
    }

    @Test("every P2P socket counts against the descriptor budget, outbound ones included")
    func socketBudget() {
        var c = AcceptGate.Counts()
        for i in 0..<4 {
            #expect(c.admitInbound(ip: "10.0.0.\(i)", limits) == nil)
            c.handshakeFinished(ip: "10.0.0.\(i)")
        }
        c.openedOutbound()
        c.openedOutbound()
        #expect(c.pending == 0)
        #expect(c.admitInbound(ip: "10.0.0.9", limits) == .descriptors)
        c.closed(ip: "10.0.0.0", pending: false)
        #expect(c.admitInbound(ip: "10.0.0.9", limits) == nil)
        c.closed(ip: "10.0.0.9", pending: true)
        #expect(c == {
            var expected = AcceptGate.Counts()
            for i in 0..<5 { _ = expected.admitInbound(ip: "x\(i)", AcceptGate.Limits(maxPending: 9, maxPendingPerIP: 9, maxSockets: 9)) }
            for i in 0..<5 { expected.handshakeFinished(ip: "x\(i)") }
            return expected
        }())
    }

    @Test("a ticket is released once however often its socket reports closing")
    func ticketsReleaseOnce() {
        let refused = Mutex<[AcceptGate.Refusal]>([])
        let gate = AcceptGate(limits: limits) { r in refused.withLock { $0.append(r) } }
        let a = gate.admitInbound(ip: "10.0.0.1")
        let b = gate.admitInbound(ip: "10.0.0.1")
        #expect(a != nil && b != nil)
        #expect(gate.admitInbound(ip: "10.0.0.1") == nil)
        #expect(refused.withLock { $0 } == [.pendingPerIP])
        a?.handshakeFinished()
        a?.handshakeFinished()
        a?.closed()
        a?.closed()
        b?.closed()
        #expect(gate.snapshot == AcceptGate.Counts())
    }

    @Test("the budget is a share of the descriptor limit, never below 16")
    func budgetShare() {
        #expect(AcceptGate.Limits.socketBudget(sharePercent: 25, descriptorLimit: 20_000) == 5_000)
        #expect(AcceptGate.Limits.socketBudget(sharePercent: 25, descriptorLimit: 1_024) == 256)
        #expect(AcceptGate.Limits.socketBudget(sharePercent: 25, descriptorLimit: 40) == 16)
        #expect(AcceptGate.Limits.socketBudget(sharePercent: 50, descriptorLimit: Int.max) > 0)
        #expect(AcceptGate.descriptorLimit() > 0)
    }

    /// Opens a TCP connection from `source` that never sends a byte; returns its channel.
    func halfOpen(to port: Int, from source: String) async throws -> any Channel {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(to: try SocketAddress(ipAddress: source, port: 0))
            .channelInitializer { $0.eventLoop.makeSucceededVoidFuture() }
            .connect(host: "127.0.0.1", port: port).get()
    }

    @Test("half-open connections past the per-address cap are closed at accept; a real peer still links",
          .timeLimit(.minutes(2)))
    func halfOpenFlood() async throws {
        let refused = Mutex<[AcceptGate.Refusal]>([])
        let gate = AcceptGate(limits: .init(maxPending: 16, maxPendingPerIP: 3, maxSockets: 64)) { r in refused.withLock { $0.append(r) } }
        let links = Mutex(0)
        let server = Transport(config: .init(chainID: "net", identity: SigningKey(), handshakeTimeout: .seconds(60)), gate: gate,
                               onLink: { _ in links.withLock { $0 += 1 } })
        let listener = try await server.listen(host: "127.0.0.1", port: 0)
        let port = listener.localAddress!.port!
        // 127.0.0.2 is loopback too: the flood comes from another address than the real peer.
        var flood: [any Channel] = []
        for _ in 0..<12 { flood.append(try await halfOpen(to: port, from: "127.0.0.2")) }
        let closedCount = Mutex(0)
        for c in flood { c.closeFuture.whenComplete { _ in closedCount.withLock { $0 += 1 } } }
        while closedCount.withLock({ $0 }) < 9 { try await Task.sleep(for: .milliseconds(20)) }
        #expect(refused.withLock { $0 }.allSatisfy { $0 == .pendingPerIP })
        #expect(refused.withLock { $0.count } == 9)
        #expect(gate.snapshot.pending == 3)

        let client = Transport(config: .init(chainID: "net", identity: SigningKey()), onLink: { _ in })
        let link = try await client.dial(host: "127.0.0.1", port: port)
        #expect(link.isActive)
        while links.withLock({ $0 }) < 1 { try await Task.sleep(for: .milliseconds(20)) }
        // The real peer's handshake finished: it holds no pending slot.
        #expect(gate.snapshot.pending == 3)
        #expect(gate.snapshot.sockets == 4)
        for c in flood { c.close(promise: nil) }
        link.close()
        while gate.snapshot.sockets > 0 { try await Task.sleep(for: .milliseconds(20)) }
        #expect(gate.snapshot == AcceptGate.Counts())
        try await listener.close()
    }
}
