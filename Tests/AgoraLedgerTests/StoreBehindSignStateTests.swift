import AgoraLedgerTestSupport
import AgoraConsensus
import AgoraCore
import AgoraCrypto
@testable import AgoraLedger
import Foundation
import Logging
import Testing

/// A validator signs only at head + 1, so a sign state above that proves committed blocks were
/// lost (issue 14: a node restarted 24 blocks short and stalled behind its own guard). The
/// consensus service refuses to start on such a store unless told to recover from peers.
@Suite("Store behind the sign state")
struct StoreBehindSignStateTests {
    func config(_ net: TestChain, recover: Bool = false) -> ConsensusService.Config {
        var c = ConsensusService.Config(blockInterval: .milliseconds(20), directory: net.dir + "/consensus")
        c.allowStoreBehindSignState = recover
        return c
    }

    /// Records a prevote at `height` in the sign state, as a validator that reached it would have.
    func signed(_ net: TestChain, at height: UInt64) throws {
        try FileManager.default.createDirectory(atPath: net.dir + "/consensus", withIntermediateDirectories: true)
        let path = ConsensusService.signStatePath(directory: net.dir + "/consensus", key: net.validator.publicKey)
        var guardian = try SigningGuard(key: net.validator, store: FileSignStateStore(path: path))
        _ = try guardian.sign(Vote(chainID: net.genesis.chainID, height: height, round: 0, kind: .prevote, blockHash: Hash.sha256([7])))
    }

    @Test("a sign state at the head + 1 is a normal restart; above it the start is refused, naming the heights and recovery")
    func refusesLostBlocks() throws {
        let net = try TestChain("behind")
        let chain = try net.open("v", key: net.validator)
        for n in 0..<3 { try chain.produceBlock(now: 2_000 + UInt64(n)) }
        try signed(net, at: 4)
        _ = try ConsensusService(chain: chain, keys: [net.validator], config: config(net), transport: nil, logger: Logger(label: "t"))

        try signed(net, at: 9)
        #expect {
            _ = try ConsensusService(chain: chain, keys: [net.validator], config: config(net), transport: nil, logger: Logger(label: "t"))
        } throws: { error in
            guard case let .storeBehindSignState(database, head, signed, record)? = error as? ConsensusService.StartError else { return false }
            let text = "\(error)"
            return database.hasSuffix("v.sqlite") && head == 3 && signed == 9 && record.contains("sign-state")
                && text.contains("blocks 4…8") && text.contains("were lost") && text.contains("storage.recoverFromPeers")
        }
        // Recovering from peers: it starts, and the guard still refuses anything at or below 9.
        let service = try ConsensusService(chain: chain, keys: [net.validator], config: config(net, recover: true), transport: nil,
                                           logger: Logger(label: "t"))
        var guardian = try #require(service.signer(net.validator.publicKey))
        #expect(throws: SigningGuard.Refusal.self) {
            _ = try guardian.sign(Vote(chainID: net.genesis.chainID, height: 4, round: 0, kind: .prevote, blockHash: Hash.sha256([8])))
        }
    }
}
