import AgoraCore
import AgoraCrypto
import AgoraState
import Foundation
import Testing
@testable import AgoraStorage

/// The task index written with each block: successful steps update the row, failed ones leave it
/// alone, a failed create adds none, and the queries filter by group, state and assignee and page
/// in creation order.
@Suite("Task index")
struct TaskIndexTests {
    let validator = SigningKey()
    let admin = SigningKey(), alice = SigningKey(), bob = SigningKey()

    @Test("tasks are indexed at commit and follow their steps; failed steps and creates change nothing")
    func indexAndQuery() throws {
        let c = try ClaimIndexTests.TestChain(validator: validator, funded: [admin, alice, bob])
        let group = LedgerID.group(creator: admin.address, nonce: 0)
        let t1 = LedgerID.task(creator: alice.address, nonce: 0), t2 = LedgerID.task(creator: alice.address, nonce: 1)
        let refused = LedgerID.task(creator: bob.address, nonce: 0)
        try c.commit([c.tx(admin, .createGroup(name: "g", policy: .none)),
                      c.tx(admin, .addGroupMember(group: group, member: alice.address, role: .member)),
                      c.tx(admin, .addGroupMember(group: group, member: bob.address, role: .observer)),
                      c.tx(alice, .createTask(TaskSpec(group: group, title: "one", reward: Amount(10)!, deadline: 1_000_000))),
                      c.tx(alice, .createTask(TaskSpec(group: group, title: "two"))),
                      c.tx(bob, .createTask(TaskSpec(group: group, title: "observer's")))])  // time 1010
        try c.commit([c.tx(alice, .assignTask(task: t1, assignee: alice.address)),
                      c.tx(bob, .assignTask(task: t2, assignee: bob.address))])  // fails: observer
        let receipts = try c.commit([c.tx(alice, .startTask(task: t1)),
                                     c.tx(alice, .completeTask(task: t1, result: TaskResult(text: "done"))),
                                     c.tx(admin, .cancelTask(task: t2)),
                                     c.tx(alice, .failTask(task: t1, reason: "too late"))])  // fails: completed
        #expect(receipts.map(\.succeeded) == [true, true, true, false])

        #expect(try c.store.task(id: refused) == nil)
        let all = try c.store.tasks(.init(group: group, limit: 10))
        #expect(all.map(\.id) == [t1, t2])
        let one = try #require(all.first)
        #expect(one.state == .completed && one.assignee == alice.address && one.creator == alice.address)
        #expect(one.result == TaskResult(text: "done") && one.failReason == nil)
        #expect(one.createdTime == 1_010 && one.updatedTime == 1_030 && one.height == 1 && one.spec.deadline == 1_000_000)
        let two = try #require(try c.store.task(id: t2))
        #expect(two.state == .cancelled && two.assignee == nil && two.result == nil)

        #expect(try c.store.tasks(.init(state: .completed, limit: 10)).map(\.id) == [t1])
        #expect(try c.store.tasks(.init(assignee: alice.address, limit: 10)).map(\.id) == [t1])
        #expect(try c.store.tasks(.init(group: group, state: .cancelled, limit: 10)).map(\.id) == [t2])
        #expect(try c.store.tasks(.init(assignee: bob.address, limit: 10)).isEmpty)
        #expect(try c.store.tasks(.init(group: Hash.sha256([1]), limit: 10)).isEmpty)
        let first = try c.store.tasks(.init(group: group, limit: 1))
        #expect(first.map(\.id) == [t1])
        #expect(try c.store.tasks(.init(group: group, after: first[0].position, limit: 1)).map(\.id) == [t2])
    }
}
