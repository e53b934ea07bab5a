import AgoraCore
import AgoraCrypto
import Testing
@testable import AgoraState

/// The tasks module: every transition allowed and forbidden, every step attempted by the wrong
/// party, escrow arithmetic (reward and fee leave the escrow exactly once), deadlines driven by
/// block time, membership checked at execution, and a seeded property test that random task
/// traffic never creates or loses funds. Block time in the test ledger is the height (ms).
@Suite("Tasks: lifecycle, roles, escrow, deadlines")
struct TasksTests {
    /// admin created the group; alice and dave are members, bob an observer, carol outside.
    struct Fixture {
        var g: GroupLedger
        let group: Hash
        let dave = SigningKey()

        init(groupFeeBps: UInt16 = 0, balance: UInt64 = 1_000_000) throws {
            g = try GroupLedger(balance: balance)
            group = try g.createGroup(policy: GroupPolicy(faucetAmount: .zero, claimReward: .zero, transferFeeBps: groupFeeBps,
                                                          maxSupply: .zero, maxBalance: .zero))
            for (key, role) in [(g.alice, GroupRole.member), (g.bob, .observer), (dave, .member)] {
                let outcome = try g.run(g.admin, .addGroupMember(group: group, member: key.address, role: role))
                precondition(outcome == .ok)
            }
            let funded = try g.run(g.admin, .transfer(to: dave.address, amount: Amount(balance / 2)!, memo: ""))
            precondition(funded == .ok)
        }

        var now: UInt64 { g.l.height }

        /// Creates a task from `creator` and returns its ID (asserting success).
        mutating func create(_ creator: SigningKey, reward: UInt64 = 100, deadline: UInt64? = nil) throws -> Hash {
            let id = LedgerID.task(creator: creator.address, nonce: g.l.nonces[creator.address] ?? 0)
            let outcome = try run(creator, .createTask(spec(reward: reward, deadline: deadline)))
            precondition(outcome == .ok, "createTask failed: \(outcome)")
            return id
        }

        func spec(reward: UInt64 = 100, deadline: UInt64? = nil) -> TaskSpec {
            TaskSpec(group: group, title: "summarise the thread", description: "in 200 words", reward: Amount(reward)!, deadline: deadline)
        }

        mutating func run(_ key: SigningKey, _ payload: Payload) throws -> StakingLedger.Outcome { try g.run(key, payload) }

        func task(_ id: Hash) throws -> TaskRecord? { try Tasks.task(id, state: g.l.state) }

        /// Σ balances + bonds + treasuries + task escrows: must equal `bank/supply`.
        func accounted() throws -> UInt64 {
            try g.accountedSupply() + escrow()
        }

        func escrow() throws -> UInt64 {
            var total: UInt64 = 0
            for (key, value) in g.l.state.entries where key.bytes.starts(with: TaskKeys.taskPrefix) {
                total += try TaskRecord(canonicalBytes: value).escrow.units
            }
            return total
        }

        func checkSupply(_ comment: Comment? = nil) throws {
            let accounted = try accounted()
            let supply = try g.l.supply()
            #expect(accounted == supply, comment)
        }

        /// A task (created by alice, reward 100, deadline far ahead) brought into `state`.
        mutating func task(in state: TaskState) throws -> Hash {
            let id = try create(g.alice, deadline: state == .expired ? now + 3 : now + 30)
            switch state {
            case .pending: break
            case .assigned: try Fixture.expectOK(run(g.admin, .assignTask(task: id, assignee: dave.address)))
            case .inProgress:
                try Fixture.expectOK(run(dave, .assignTask(task: id, assignee: dave.address)))
                try Fixture.expectOK(run(dave, .startTask(task: id)))
            case .completed:
                try Fixture.expectOK(run(dave, .assignTask(task: id, assignee: dave.address)))
                try Fixture.expectOK(run(dave, .startTask(task: id)))
                try Fixture.expectOK(run(dave, .completeTask(task: id, result: TaskResult(text: "done"))))
            case .failed:
                try Fixture.expectOK(run(dave, .assignTask(task: id, assignee: dave.address)))
                try Fixture.expectOK(run(dave, .startTask(task: id)))
                try Fixture.expectOK(run(dave, .failTask(task: id, reason: "blocked")))
            case .cancelled: try Fixture.expectOK(run(g.alice, .cancelTask(task: id)))
            case .expired:
                let deadline = try task(id)!.deadline!
                while now < deadline { try g.l.block() }
                try Fixture.expectOK(run(g.carol, .expireTask(task: id)))
            }
            let reached = try task(id)?.state
            precondition(reached == state, "could not bring a task to \(state)")
            return id
        }

        /// Runs one transaction and expects `expected` (mutating calls stay out of `#expect`).
        mutating func expect(_ key: SigningKey, _ payload: Payload, _ expected: StakingLedger.Outcome, _ comment: Comment? = nil,
                             sourceLocation: SourceLocation = #_sourceLocation) throws {
            let outcome = try run(key, payload)
            #expect(outcome == expected, comment, sourceLocation: sourceLocation)
        }

        static func expectOK(_ outcome: StakingLedger.Outcome) {
            precondition(outcome == .ok, "expected success, got \(outcome)")
        }

        /// The payload that takes `action` on `id` and the party that may take it.
        func attempt(_ action: TaskAction, _ id: Hash) -> (SigningKey, Payload) {
            switch action {
            case .assign: return (g.admin, .assignTask(task: id, assignee: dave.address))
            case .take: return (dave, .assignTask(task: id, assignee: dave.address))
            case .start: return (dave, .startTask(task: id))
            case .complete: return (dave, .completeTask(task: id, result: TaskResult(text: "done")))
            case .fail: return (dave, .failTask(task: id, reason: ""))
            case .cancel: return (g.alice, .cancelTask(task: id))
            case .expire: return (g.carol, .expireTask(task: id))
            }
        }
    }

    @Test("create escrows reward plus fee (max of group and chain bps) under the ID from creator and nonce")
    func create() throws {
        var f = try Fixture(groupFeeBps: 1_000)
        let before = try f.g.balance(f.g.alice)
        let due = f.now + 50
        let id = try f.create(f.g.alice, reward: 500, deadline: due)
        let record = try f.task(id)
        #expect(record == TaskRecord(group: f.group, creator: f.g.alice.address, assignee: nil, state: .pending, reward: Amount(500)!,
                                     fee: Amount(50)!, deadline: due, createdAt: f.now, updatedAt: f.now))
        let after = try f.g.balance(f.g.alice)
        #expect(before - after == 500 + 50 + 1, "reward, payout fee and the transaction fee")
        try f.checkSupply()
        // The chain's rate is the floor.
        try f.g.setBankParams { $0.transferFeeBps = 2_000 }
        let second = try f.create(f.g.alice, reward: 500)
        #expect(try f.task(second)?.fee == Amount(100)!)
        try f.checkSupply()
    }

    @Test("observers, outsiders, unknown groups, past deadlines and short balances cannot create; nothing but the fee moves")
    func createRefused() throws {
        var f = try Fixture(balance: 1_000)
        let bob = f.g.bob, carol = f.g.carol, alice = f.g.alice
        // The expected failure is computed just before the attempt: block time and balance move.
        let cases: [(SigningKey, (Fixture) throws -> (TaskSpec, ExecutionFailure))] = [
            (bob, { f in (f.spec(), .observerCannotTask(group: f.group, address: bob.address)) }),
            (carol, { f in (f.spec(), .notGroupMember(group: f.group, address: carol.address)) }),
            (alice, { _ in (TaskSpec(group: Hash.sha256([1]), title: "x"), .groupNotFound(Hash.sha256([1]))) }),
            (alice, { f in (f.spec(deadline: f.now + 1), .taskDeadlineInPast(deadline: f.now + 1, now: f.now + 1)) }),
            (alice, { f in (f.spec(reward: 5_000), .insufficientBalance(balance: Amount(try f.g.balance(alice) - 1)!, needed: Amount(5_000)!)) }),
        ]
        for (key, make) in cases {
            let (spec, failure) = try make(f)
            let nonce = f.g.l.nonces[key.address] ?? 0
            let before = try f.g.balance(key)
            try f.expect(key, .createTask(spec), .included(failure))
            #expect(try f.task(LedgerID.task(creator: key.address, nonce: nonce)) == nil)
            let after = try f.g.balance(key)
            #expect(before - after == 1, "only the fee")
            try f.checkSupply()
        }
    }

    @Test("the happy path: take, start, complete pays the reward to the assignee and the fee to the treasury")
    func complete() throws {
        var f = try Fixture(groupFeeBps: 500)
        let id = try f.create(f.g.alice, reward: 1_000)
        let treasury = try f.g.balance(StakingLedger.treasury)
        let dave = try f.g.balance(f.dave)
        try f.expect(f.dave, .assignTask(task: id, assignee: f.dave.address), .ok)
        #expect(try f.task(id)?.state == .assigned)
        #expect(try f.task(id)?.assignee == f.dave.address)
        try f.expect(f.dave, .startTask(task: id), .ok)
        try f.expect(f.dave, .completeTask(task: id, result: TaskResult(text: "summary attached")), .ok)
        #expect(try f.task(id)?.state == .completed)
        #expect(try f.task(id)?.escrow == .zero)
        let daveAfter = try f.g.balance(f.dave)
        #expect(daveAfter == dave + 1_000 - 3, "the reward, less three transaction fees")
        let treasuryAfter = try f.g.balance(StakingLedger.treasury)
        #expect(treasuryAfter == treasury + 50 + 3, "the payout fee and the three transaction fees")
        try f.checkSupply()
    }

    @Test("fail, cancel and expire refund reward and fee to the creator; a task without reward moves no funds")
    func refunds() throws {
        var f = try Fixture(groupFeeBps: 1_000)
        for final in [TaskState.failed, .cancelled, .expired] {
            let before = try f.g.balance(f.g.alice)
            let id = try f.task(in: final)
            let after = try f.g.balance(f.g.alice)
            let fees: UInt64 = final == .cancelled ? 2 : 1  // create (+ cancel) by alice
            #expect(after == before - fees, "\(final): the escrow came back whole")
            #expect(try f.task(id)?.escrow == .zero)
            try f.checkSupply("\(final)")
        }
        let free = try f.create(f.g.alice, reward: 0)
        #expect(try f.task(free)?.fee == .zero)
        try f.expect(f.g.alice, .cancelTask(task: free), .ok)
        try f.checkSupply()
    }

    @Test("every (state, action) pair: the right party succeeds exactly where the transition table allows it",
          arguments: TaskState.allCases)
    func transitionTable(state: TaskState) throws {
        for action in TaskAction.allCases {
            var f = try Fixture()
            let id = try f.task(in: state)
            let before = try f.task(id)
            let (key, payload) = f.attempt(action, id)
            let outcome = try f.run(key, payload)
            if !action.from.contains(state) {
                #expect(outcome == .included(.taskWrongState(task: id, state: state, action: action)), "\(action) from \(state)")
                #expect(try f.task(id) == before, "\(action) from \(state) changed nothing")
            } else if action == .expire {
                // Allowed from here, but only once the deadline has come (see `deadlines`).
                #expect(outcome == .included(.taskDeadlineNotReached(task: id, deadline: before?.deadline, now: f.now)))
            } else {
                #expect(outcome == .ok, "\(action) from \(state)")
                #expect(try f.task(id)?.state == action.to)
            }
            try f.checkSupply("\(action) from \(state)")
        }
    }

    @Test("every step by the wrong party fails with its own code and leaves task and balances as they were")
    func wrongParty() throws {
        var f = try Fixture()
        let (admin, alice, bob, carol, dave) = (f.g.admin, f.g.alice, f.g.bob, f.g.carol, f.dave)
        let pending = try f.task(in: .pending)  // created by alice
        let assigned = try f.task(in: .assigned)  // to dave
        let working = try f.task(in: .inProgress)  // dave
        let attempts: [(SigningKey, Payload, ExecutionFailure)] = [
            // assign someone else: only the creator or an admin
            (dave, .assignTask(task: pending, assignee: alice.address), .notTaskManager(task: pending, address: dave.address)),
            (carol, .assignTask(task: pending, assignee: dave.address), .notTaskManager(task: pending, address: carol.address)),
            (bob, .assignTask(task: pending, assignee: dave.address), .notTaskManager(task: pending, address: bob.address)),
            // ... and only to a member that may work on tasks
            (admin, .assignTask(task: pending, assignee: bob.address), .observerCannotTask(group: f.group, address: bob.address)),
            (alice, .assignTask(task: pending, assignee: carol.address), .notGroupMember(group: f.group, address: carol.address)),
            // take: members and admins only
            (bob, .assignTask(task: pending, assignee: bob.address), .observerCannotTask(group: f.group, address: bob.address)),
            (carol, .assignTask(task: pending, assignee: carol.address), .notGroupMember(group: f.group, address: carol.address)),
            // start, complete, fail: the assignee only
            (alice, .startTask(task: assigned), .notTaskAssignee(task: assigned, address: alice.address)),
            (admin, .startTask(task: assigned), .notTaskAssignee(task: assigned, address: admin.address)),
            (carol, .startTask(task: assigned), .notTaskAssignee(task: assigned, address: carol.address)),
            (alice, .completeTask(task: working, result: TaskResult(text: "mine")), .notTaskAssignee(task: working, address: alice.address)),
            (admin, .completeTask(task: working, result: TaskResult(text: "mine")), .notTaskAssignee(task: working, address: admin.address)),
            (carol, .failTask(task: working, reason: ""), .notTaskAssignee(task: working, address: carol.address)),
            // cancel: the creator or an admin; not the assignee, not another member, not an outsider
            (dave, .cancelTask(task: working), .notTaskManager(task: working, address: dave.address)),
            (bob, .cancelTask(task: pending), .notTaskManager(task: pending, address: bob.address)),
            (carol, .cancelTask(task: assigned), .notTaskManager(task: assigned, address: carol.address)),
            // unknown task
            (alice, .startTask(task: Hash.sha256([3])), .taskNotFound(Hash.sha256([3]))),
        ]
        for (key, payload, failure) in attempts {
            let tasks = try [pending, assigned, working].map { try f.task($0) }
            let balances = try [admin, alice, bob, carol, dave].map { try f.g.balance($0) }
            let outcome = try f.run(key, payload)
            #expect(outcome == .included(failure), "\(payload.kind) by \(key.address)")
            #expect(try [pending, assigned, working].map { try f.task($0) } == tasks, "no task changed")
            var expected = balances
            expected[[admin, alice, bob, carol, dave].firstIndex { $0.address == key.address }!] -= 1
            #expect(try [admin, alice, bob, carol, dave].map { try f.g.balance($0) } == expected, "only the sender's fee moved")
            try f.checkSupply()
        }
        // An admin that did not create the task may cancel it; the refund goes to the creator.
        let aliceBefore = try f.g.balance(alice)
        try f.expect(admin, .cancelTask(task: working), .ok)
        #expect(try f.g.balance(alice) == aliceBefore + 100)
    }

    @Test("membership is checked at execution: a removed or demoted assignee cannot finish; a removed creator cannot cancel")
    func membershipAtExecution() throws {
        var f = try Fixture()
        let working = try f.task(in: .inProgress)
        try f.expect(f.g.admin, .setGroupRole(group: f.group, member: f.dave.address, role: .observer), .ok)
        try f.expect(f.dave, .completeTask(task: working, result: TaskResult(text: "x")), .included(.observerCannotTask(group: f.group, address: f.dave.address)))
        try f.expect(f.g.admin, .removeGroupMember(group: f.group, member: f.dave.address), .ok)
        try f.expect(f.dave, .completeTask(task: working, result: TaskResult(text: "x")), .included(.notGroupMember(group: f.group, address: f.dave.address)))
        try f.expect(f.dave, .failTask(task: working, reason: ""), .included(.notGroupMember(group: f.group, address: f.dave.address)))
        #expect(try f.task(working)?.state == .inProgress)
        // The creator leaves: it can no longer cancel, an admin still can, and the refund reaches it.
        try f.expect(f.g.admin, .removeGroupMember(group: f.group, member: f.g.alice.address), .ok)
        try f.expect(f.g.alice, .cancelTask(task: working), .included(.notTaskManager(task: working, address: f.g.alice.address)))
        let before = try f.g.balance(f.g.alice)
        try f.expect(f.g.admin, .cancelTask(task: working), .ok)
        #expect(try f.g.balance(f.g.alice) == before + 100)
        try f.checkSupply()
        // A creator demoted to observer may still withdraw its own task.
        var h = try Fixture()
        let mine = try h.create(h.dave)
        try h.expect(h.g.admin, .setGroupRole(group: h.group, member: h.dave.address, role: .observer), .ok)
        try h.expect(h.dave, .cancelTask(task: mine), .ok)
    }

    @Test("in one block: create then assign by the known ID; a removal earlier in the block stops the assignee")
    func sameBlock() throws {
        var f = try Fixture()
        let id = LedgerID.task(creator: f.g.alice.address, nonce: f.g.l.nonces[f.g.alice.address] ?? 0)
        let failures = try f.g.block([
            (f.g.alice, .createTask(f.spec())),
            (f.g.alice, .assignTask(task: id, assignee: f.dave.address)),
            (f.dave, .startTask(task: id)),
            (f.g.admin, .removeGroupMember(group: f.group, member: f.dave.address)),
            (f.dave, .completeTask(task: id, result: TaskResult(text: "x"))),
        ])
        #expect(failures == [nil, nil, nil, nil, .notGroupMember(group: f.group, address: f.dave.address)])
        #expect(try f.task(id)?.state == .inProgress)
        try f.checkSupply()
    }

    @Test("deadlines: steps stop at the deadline, cancel still works, anyone may expire after it and not before")
    func deadlines() throws {
        var f = try Fixture()
        let noDeadline = try f.create(f.g.alice)
        let next = f.now + 1
        try f.expect(f.g.carol, .expireTask(task: noDeadline), .included(.taskDeadlineNotReached(task: noDeadline, deadline: nil, now: next)))
        for state in [TaskState.pending, .assigned, .inProgress] {
            var h = try Fixture()
            let id = try h.task(in: state)
            let deadline = try h.task(id)!.deadline!
            let next = h.now + 1
            try h.expect(h.g.carol, .expireTask(task: id), .included(.taskDeadlineNotReached(task: id, deadline: deadline, now: next)))
            while h.now + 1 < deadline { try h.g.l.block() }
            // The next block's time is the deadline: the steps are over.
            let step = TaskAction.allCases.first { $0.from.contains(state) && $0 != .cancel && $0 != .expire }!
            let (key, payload) = h.attempt(step, id)
            try h.expect(key, payload, .included(.taskDeadlinePassed(task: id, deadline: deadline, now: deadline)), "\(step) from \(state)")
            let before = try h.g.balance(h.g.alice)
            try h.expect(h.g.carol, .expireTask(task: id), .ok)
            #expect(try h.task(id)?.state == .expired)
            #expect(try h.g.balance(h.g.alice) == before + 100)
            try h.checkSupply()
        }
        // Cancel needs no deadline check.
        var h = try Fixture()
        let due = h.now + 3
        let late = try h.create(h.g.alice, deadline: due)
        for _ in 0..<5 { try h.g.l.block() }
        try h.expect(h.g.alice, .cancelTask(task: late), .ok)
    }

    @Test("a payout that would break the balance cap fails whole: the task stays in progress with its escrow")
    func balanceCap() throws {
        var f = try Fixture()
        let id = try f.task(in: .inProgress)
        let cap = Amount(try f.g.balance(f.dave))!
        try f.g.setBankParams { $0.maxAccountBalance = cap }
        let outcome = try f.run(f.dave, .completeTask(task: id, result: TaskResult(text: "x")))
        guard case .included(.recipientBalanceCap?) = outcome else { Issue.record("got \(outcome)"); return }
        #expect(try f.task(id)?.state == .inProgress)
        #expect(try f.task(id)?.escrow == Amount(100)!)
        try f.checkSupply()
    }

    @Test("random task traffic never creates or loses funds: supply = balances + bonds + treasuries + escrows after every block",
          arguments: [1, 2, 3, 4] as [UInt64])
    func randomTraffic(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        var f = try Fixture(groupFeeBps: UInt16(rng.next() % 2_000))
        let keys = [f.g.admin, f.g.alice, f.g.bob, f.g.carol, f.dave]
        var ids: [Hash] = []
        var nonces = f.g.l.nonces
        for _ in 0..<60 {
            var txs: [(SigningKey, Payload)] = []
            for _ in 0..<(1 + Int(rng.next() % 5)) {
                let key = keys[Int(rng.next() % UInt64(keys.count))]
                let other = keys[Int(rng.next() % UInt64(keys.count))]
                let task = ids.isEmpty || rng.next() % 8 == 0 ? Hash.sha256([UInt8(truncatingIfNeeded: rng.next())]) : ids[Int(rng.next() % UInt64(ids.count))]
                let payload: Payload
                switch rng.next() % 10 {
                case 0, 1:
                    let deadline = rng.next() % 2 == 0 ? nil : f.now + rng.next() % 20
                    let n = nonces[key.address] ?? 0
                    ids.append(LedgerID.task(creator: key.address, nonce: n + UInt64(txs.filter { $0.0.address == key.address }.count)))
                    payload = .createTask(TaskSpec(group: f.group, title: "t", reward: Amount(rng.next() % 3_000)!, deadline: deadline == 0 ? 1 : deadline))
                case 2: payload = .assignTask(task: task, assignee: other.address)
                case 3: payload = .assignTask(task: task, assignee: key.address)
                case 4: payload = .startTask(task: task)
                case 5: payload = .completeTask(task: task, result: TaskResult(text: "r"))
                case 6: payload = .failTask(task: task, reason: "")
                case 7: payload = .cancelTask(task: task)
                case 8: payload = .expireTask(task: task)
                default:
                    // Membership churn, so that steps meet removed and demoted members.
                    let role = GroupRole.allCases[Int(rng.next() % 3)]
                    payload = rng.next() % 2 == 0 ? .removeGroupMember(group: f.group, member: other.address)
                        : .addGroupMember(group: f.group, member: other.address, role: role)
                }
                txs.append((key, payload))
            }
            _ = try f.g.block(txs)
            nonces = f.g.l.nonces
            try f.checkSupply("seed \(seed)")
            // A final task holds nothing; a live one holds exactly its reward and fee.
            for id in ids {
                guard let t = try f.task(id) else { continue }
                let live = try t.reward.adding(t.fee)
                #expect(t.escrow == (t.state.isFinal ? .zero : live))
                if t.state == .pending { #expect(t.assignee == nil) }
                if [.assigned, .inProgress, .completed, .failed].contains(t.state) { #expect(t.assignee != nil) }
            }
        }
        let states = Set(try ids.compactMap { try f.task($0)?.state })
        #expect(states.count >= 3, "the traffic reached several states: \(states)")
    }
}
