import AgoraCore
import AgoraCrypto
import AgoraState
import Foundation
import Testing
@testable import AgoraStorage

/// The claim and membership index written with each block: what a block's successful group and
/// claim transactions put in it, and how the queries page through it.
@Suite("Claim index")
struct ClaimIndexTests {
    let validator = SigningKey()
    let admin = SigningKey(), alice = SigningKey(), bob = SigningKey()

    final class TestChain {
        let store: BlockStore
        var nonces: [Address: UInt64] = [:]
        let chainID = "claims-test"
        let validator: SigningKey
        init(validator: SigningKey, funded: [SigningKey]) throws {
            let dir = NSTemporaryDirectory() + "agora-claims-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            store = try BlockStore(path: dir + "/agora.sqlite")
            self.validator = validator
            try store.initialize(try Genesis(
                chainID: chainID, genesisTime: 1_000, validators: [.init(publicKey: validator.publicKey.hex, power: 1)],
                params: .init(treasury: Address(raw: [UInt8](repeating: 9, count: 20)).description, transferFeeBps: 0, minFee: .zero,
                              faucetAmount: .zero, maxTotalSupply: Amount(1_000_000_000)!, maxAccountBalance: Amount(1_000_000_000)!,
                              blockReward: .zero),
                allocations: funded.map { .init(address: $0.address.description, amount: Amount(5_000)!) }).resolve())
        }

        func tx(_ key: SigningKey, _ payload: Payload) -> Transaction {
            let n = nonces[key.address] ?? 0
            nonces[key.address] = n + 1
            return key.sign(TransactionBody(chainID: chainID, sender: key.publicKey, nonce: n, fee: .zero, expiresAt: 1_000_000, payload: payload))
        }

        /// Executes and commits one block 10 ms after the head; returns the receipts.
        @discardableResult
        func commit(_ txs: [Transaction]) throws -> [Receipt] {
            let head = try store.head()
            let identity = try #require(try store.identity())
            let executed = try BlockExecutor(chainID: chainID)
                .execute(txs, context: BlockContext(height: head.height + 1, timestamp: head.timestamp + 10, proposer: validator.address),
                         base: StateCache(store: store), mode: .verify)
            var digest = head.digest
            digest.apply(executed.writes)
            let tree = try store.stateTreeUpdate(base: head.height, version: head.height + 1, writes: executed.writes)
            let header = BlockHeader(chainID: chainID, height: head.height + 1, previousHash: head.hash, timestamp: head.timestamp + 10,
                                     proposer: validator.publicKey, txRoot: Block.txRoot(txs),
                                     stateRoot: tree.root,
                                     validatorSetHash: identity.validatorSet.hash, lastCommit: nil)
            let seal = Commit(height: header.height, round: 0, blockHash: header.hash,
                              signatures: [validator.sign(Vote(chainID: chainID, height: header.height, round: 0, kind: .precommit, blockHash: header.hash))])
            try store.commit(.init(block: Block(header: header, transactions: txs), seal: seal, receipts: executed.receipts,
                                   writes: executed.writes, digest: digest, tree: tree))
            return executed.receipts
        }

        /// Publishes a claim and returns its ID (from the nonce the transaction uses).
        func claim(_ key: SigningKey, _ group: Hash, _ text: String, tags: [String] = [], parent: Hash? = nil) -> (Transaction, Hash) {
            let id = LedgerID.claim(author: key.address, nonce: nonces[key.address] ?? 0)
            return (tx(key, .publishClaim(ClaimContent(group: group, text: text, tags: tags, parent: parent, artifacts: []))), id)
        }
    }

    @Test("claims are indexed at commit with time, author, tags and thread root; failed ones are not")
    func indexAndQuery() throws {
        let c = try TestChain(validator: validator, funded: [admin, alice, bob])
        let group = LedgerID.group(creator: admin.address, nonce: 0)
        try c.commit([c.tx(admin, .createGroup(name: "g", policy: .none)),
                      c.tx(admin, .addGroupMember(group: group, member: alice.address, role: .member)),
                      c.tx(admin, .addGroupMember(group: group, member: bob.address, role: .observer))])  // time 1010
        let (t1, root) = c.claim(alice, group, "first", tags: ["a", "b"])
        let (t2, reply) = c.claim(admin, group, "reply", tags: ["b"], parent: root)
        let (t3, _) = c.claim(bob, group, "observer cannot")
        try c.commit([t1, t2, t3])  // time 1020
        let (t4, nested) = c.claim(alice, group, "nested", parent: reply)
        let (t5, other) = c.claim(alice, group, "another thread", tags: ["a"])
        let receipts = try c.commit([t4, t5])  // time 1030
        #expect(receipts.allSatisfy { $0.succeeded })

        let all = try c.store.claims(.init(group: group, limit: 50))
        #expect(all.map(\.id) == [root, reply, nested, other])
        #expect(all.map(\.time) == [1_020, 1_020, 1_030, 1_030])
        #expect(all[1].content.parent == root && all[1].root == root && all[2].root == root && all[3].root == other)
        #expect(all[0].author == alice.address && all[0].content.text == "first" && all[0].content.tags == ["a", "b"])
        #expect(all[0].transaction == t1.id && all[0].height == 2 && all[0].index == 0)

        #expect(try c.store.claims(.init(group: group, since: 1_021, limit: 50)).map(\.id) == [nested, other])
        #expect(try c.store.claims(.init(group: group, author: alice.address, limit: 50)).map(\.id) == [root, nested, other])
        #expect(try c.store.claims(.init(group: group, tag: "a", limit: 50)).map(\.id) == [root, other])
        #expect(try c.store.claims(.init(group: group, author: admin.address, tag: "b", limit: 50)).map(\.id) == [reply])
        #expect(try c.store.claims(.init(group: Hash.sha256([1]), limit: 50)).isEmpty)
        #expect(try c.store.thread(root: root, after: nil, limit: 50).map(\.id) == [root, reply, nested])
        #expect(try c.store.claim(id: nested)?.root == root)
        // Bob is an observer: his claim failed on chain and is not in the index.
        #expect(try c.store.claim(id: LedgerID.claim(author: bob.address, nonce: 0)) == nil)
    }

    @Test("artifact references are indexed per group, so a policy can ask which groups reference an artifact")
    func artifactGroups() throws {
        let c = try TestChain(validator: validator, funded: [admin, alice])
        let g1 = LedgerID.group(creator: admin.address, nonce: 0), g2 = LedgerID.group(creator: alice.address, nonce: 0)
        try c.commit([c.tx(admin, .createGroup(name: "one", policy: .none)), c.tx(alice, .createGroup(name: "two", policy: .none))])
        let shared = ArtifactRef(sha256: Hash.sha256([1]), size: 10), own = ArtifactRef(sha256: Hash.sha256([2]), size: 20)
        func publish(_ key: SigningKey, _ group: Hash, _ refs: [ArtifactRef]) -> Transaction {
            c.tx(key, .publishClaim(ClaimContent(group: group, text: "x", tags: [], parent: nil, artifacts: refs.sorted())))
        }
        try c.commit([publish(admin, g1, [shared, own]), publish(alice, g2, [shared]), publish(alice, g1, [shared])])
        #expect(try c.store.groups(referencing: shared.sha256) == [g1, g2].sorted())
        #expect(try c.store.groups(referencing: own.sha256) == [g1])
        #expect(try c.store.groups(referencing: Hash.sha256([3])).isEmpty)
    }

    @Test("afterHeight returns exactly the claims of later blocks, paged; the artifact walk sees every reference in chain order")
    func afterHeightAndArtifactWalk() throws {
        let c = try TestChain(validator: validator, funded: [admin])
        let group = LedgerID.group(creator: admin.address, nonce: 0)
        try c.commit([c.tx(admin, .createGroup(name: "g", policy: .none))])   // height 1
        var byHeight: [[Hash]] = []
        for h in 0..<4 {                                                        // heights 2…5
            let ref = ArtifactRef(sha256: Hash.sha256([UInt8(h)]), size: 5)
            let batch = (0..<3).map { i in
                c.tx(admin, .publishClaim(ClaimContent(group: group, text: "c\(h).\(i)", tags: [], parent: nil, artifacts: i == 0 ? [ref] : [])))
            }
            byHeight.append(batch.map { LedgerID.claim(author: admin.address, nonce: $0.body.nonce) })
            try c.commit(batch)
        }
        for after: UInt64 in [0, 1, 2, 4, 5, 9] {
            var seen: [Hash] = []
            var cursor: Int64?
            repeat {
                var q = BlockStore.ClaimQuery(group: group, after: cursor, limit: 2)
                q.afterHeight = after
                let page = try c.store.claims(q)
                seen += page.map(\.id)
                cursor = page.count == 2 ? page.last?.position : nil
            } while cursor != nil
            let expected = byHeight.enumerated().filter { UInt64($0.offset) + 2 > after }.flatMap(\.element)
            #expect(seen == expected, "afterHeight \(after)")
        }
        var walked: [Hash] = []
        var position: Int64 = -1
        while case let refs = try c.store.claimArtifacts(after: position, limit: 1), let last = refs.last {
            walked += refs.map(\.artifact.sha256)
            position = last.position
        }
        #expect(walked == (0..<4).map { Hash.sha256([UInt8($0)]) })
    }

    @Test("pages follow the cursor without repeats or gaps, with and without since")
    func paging() throws {
        let c = try TestChain(validator: validator, funded: [admin])
        let group = LedgerID.group(creator: admin.address, nonce: 0)
        try c.commit([c.tx(admin, .createGroup(name: "g", policy: .none))])
        var ids: [Hash] = []
        for _ in 0..<4 {
            let batch = (0..<5).map { i in c.claim(admin, group, "claim \(i)") }
            ids += batch.map(\.1)
            try c.commit(batch.map(\.0))
        }
        for since: UInt64 in [0, 1_030] {
            var seen: [Hash] = []
            var cursor: Int64?
            repeat {
                let page = try c.store.claims(.init(group: group, since: since, after: cursor, limit: 3))
                seen += page.map(\.id)
                cursor = page.count == 3 ? page.last?.position : nil
            } while cursor != nil
            #expect(seen == (since == 0 ? ids : Array(ids[5...])))
        }
        let thread = try c.store.thread(root: ids[0], after: nil, limit: 10)
        #expect(thread.map(\.id) == [ids[0]])
    }

    @Test("membership at a past height answers from the role history, removals included")
    func membershipHistory() throws {
        let c = try TestChain(validator: validator, funded: [admin, alice])
        let group = LedgerID.group(creator: admin.address, nonce: 0)
        try c.commit([c.tx(admin, .createGroup(name: "g", policy: .none))])  // height 1
        try c.commit([c.tx(admin, .addGroupMember(group: group, member: alice.address, role: .observer))])  // 2
        try c.commit([c.tx(admin, .setGroupRole(group: group, member: alice.address, role: .member))])  // 3
        try c.commit([c.tx(admin, .removeGroupMember(group: group, member: alice.address)),  // 4: removed, re-added, removed
                      c.tx(admin, .addGroupMember(group: group, member: alice.address, role: .admin)),
                      c.tx(admin, .removeGroupMember(group: group, member: alice.address))])
        try c.commit([c.tx(alice, .removeGroupMember(group: group, member: admin.address))])  // 5: fails, not an admin
        #expect(try c.store.role(in: group, of: admin.address, atHeight: 1) == .admin)
        #expect(try c.store.role(in: group, of: admin.address, atHeight: 5) == .admin)
        #expect(try c.store.isMember(group: group, address: alice.address, atHeight: 1) == false)
        #expect(try c.store.role(in: group, of: alice.address, atHeight: 2) == .observer)
        #expect(try c.store.isMember(group: group, address: alice.address, atHeight: 2))
        #expect(try c.store.role(in: group, of: alice.address, atHeight: 3) == .member)
        #expect(try c.store.isMember(group: group, address: alice.address, atHeight: 4) == false)
        #expect(try c.store.isMember(group: group, address: alice.address, atHeight: 100) == false)
        #expect(try c.store.isMember(group: Hash.sha256([2]), address: admin.address, atHeight: 5) == false)
        let members = try c.store.members(of: group, after: nil, limit: 10)
        #expect(Set(members.map(\.0)) == [admin.address, alice.address])
        #expect(members.first { $0.0 == alice.address }?.1.role == nil)
        #expect(try c.store.groups(after: nil, limit: 10).map(\.0) == [group])
    }
}
