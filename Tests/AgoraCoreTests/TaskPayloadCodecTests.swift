import Testing
@testable import AgoraCore

/// The tasks payloads' and the presence heartbeat's encodings: tags 21–27, round trips, the
/// documented layouts, deterministic task IDs, and refusal of oversized and non-canonical forms.
@Suite("Tasks payload and heartbeat codec")
struct TaskPayloadCodecTests {
    @Test("every tasks payload round-trips with tags 21 to 27")
    func roundTrip() throws {
        var r = SeededRandom(seed: 71)
        let group = Fixtures.hash(&r), task = Fixtures.hash(&r), member = Fixtures.address(&r)
        let refs = [ArtifactRef(sha256: Fixtures.hash(&r), size: 10), ArtifactRef(sha256: Fixtures.hash(&r), size: 20)].sorted()
        let cases: [(Payload, UInt8)] = [
            (.createTask(TaskSpec(group: group, title: "review the draft", description: "two pages", reward: Amount(50)!,
                                  deadline: 1_700_000_000_000, artifacts: refs)), 21),
            (.createTask(TaskSpec(group: group, title: "t")), 21),
            (.assignTask(task: task, assignee: member), 22),
            (.startTask(task: task), 23),
            (.completeTask(task: task, result: TaskResult(text: "done", artifacts: refs)), 24),
            (.failTask(task: task, reason: ""), 25),
            (.cancelTask(task: task), 26),
            (.expireTask(task: task), 27),
        ]
        for (payload, tag) in cases {
            let bytes = payload.canonicalBytes
            #expect(bytes.first == tag)
            let decoded = try Payload(canonicalBytes: bytes)
            #expect(decoded == payload)
        }
        #expect(Set(cases.map(\.0.kind)).count == 7)
    }

    @Test("the layouts are the documented ones")
    func layouts() {
        let group = Hash(bytes: [UInt8](repeating: 0x11, count: 32))!
        let task = Hash(bytes: [UInt8](repeating: 0x33, count: 32))!
        let member = Address(raw: [UInt8](repeating: 0x22, count: 20))
        let spec = TaskSpec(group: group, title: "t", description: "", reward: Amount(3)!, deadline: 5)
        #expect(Payload.createTask(spec).canonicalBytes
            == [21] + group.bytes + [1, 0, 0, 0, UInt8(ascii: "t"), 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 1, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        #expect(Payload.assignTask(task: task, assignee: member).canonicalBytes == [22] + task.bytes + member.bytes)
        #expect(Payload.expireTask(task: task).canonicalBytes == [27] + task.bytes)
        #expect(Payload.failTask(task: task, reason: "x").canonicalBytes == [25] + task.bytes + [1, 0, 0, 0, UInt8(ascii: "x")])
    }

    @Test("task IDs are SHA-256 of a domain, the creator's address and the nonce, distinct from claim IDs")
    func ids() {
        let a = Address(raw: [UInt8](repeating: 7, count: 20))
        #expect(LedgerID.task(creator: a, nonce: 3) == Hash.sha256(Array("agora/task/v1\u{0}".utf8) + a.bytes + [3, 0, 0, 0, 0, 0, 0, 0]))
        #expect(LedgerID.task(creator: a, nonce: 3) != LedgerID.claim(author: a, nonce: 3))
        #expect(LedgerID.task(creator: a, nonce: 3) != LedgerID.task(creator: a, nonce: 4))
    }

    @Test("empty titles and results, oversized texts, a zero deadline, unsorted artifacts and unknown states are refused")
    func refusals() {
        let group = Hash(bytes: [UInt8](repeating: 1, count: 32))!
        let task = Hash(bytes: [UInt8](repeating: 2, count: 32))!
        let a = ArtifactRef(sha256: Hash(bytes: [UInt8](repeating: 9, count: 32))!, size: 1)
        let b = ArtifactRef(sha256: Hash(bytes: [UInt8](repeating: 8, count: 32))!, size: 1)
        let bad: [Payload] = [
            .createTask(TaskSpec(group: group, title: "")),
            .createTask(TaskSpec(group: group, title: String(repeating: "x", count: TaskLimits.maxTitleBytes + 1))),
            .createTask(TaskSpec(group: group, title: "t", description: String(repeating: "x", count: TaskLimits.maxDescriptionBytes + 1))),
            .createTask(TaskSpec(group: group, title: "t", deadline: 0)),
            .createTask(TaskSpec(group: group, title: "t", artifacts: [a, b])),
            .createTask(TaskSpec(group: group, title: "t", artifacts: [b, b])),
            .completeTask(task: task, result: TaskResult(text: "")),
            .completeTask(task: task, result: TaskResult(text: String(repeating: "x", count: TaskLimits.maxResultBytes + 1))),
            .completeTask(task: task, result: TaskResult(text: "r", artifacts: [a, b])),
            .failTask(task: task, reason: String(repeating: "x", count: TaskLimits.maxFailReasonBytes + 1)),
        ]
        for payload in bad {
            let bytes = payload.canonicalBytes
            #expect(throws: CodecError.self, "\(payload.kind)") { try Payload(canonicalBytes: bytes) }
        }
        #expect(throws: CodecError.unknownTag(type: "task.state", tag: 8)) { try TaskState(canonicalBytes: [8]) }
        #expect(throws: CodecError.unknownTag(type: "task.state", tag: 0)) { try TaskState(canonicalBytes: [0]) }
        let trailing = Payload.startTask(task: task).canonicalBytes + [0]
        #expect(throws: CodecError.self) { try Payload(canonicalBytes: trailing) }
    }

    @Test("task states: final ones are the last four; names round-trip")
    func states() {
        #expect(TaskState.allCases.filter(\.isFinal) == [.completed, .failed, .cancelled, .expired])
        for s in TaskState.allCases { #expect(TaskState(name: s.name) == s) }
        #expect(TaskState(name: "done") == nil)
    }

    @Test("a heartbeat round-trips, signs over domain ‖ chain ID ‖ encoding, and refuses a long status")
    func heartbeat() throws {
        var r = SeededRandom(seed: 72)
        let key = PublicKey(bytes: Fixtures.hash(&r).bytes)!
        let hb = Heartbeat(group: Fixtures.hash(&r), member: key, time: 1_700_000_000_000, status: "idle")
        let signed = SignedHeartbeat(heartbeat: hb, signature: Signature(bytes: [UInt8](repeating: 5, count: 64))!)
        let decoded = try SignedHeartbeat(canonicalBytes: signed.canonicalBytes)
        #expect(decoded == signed)
        #expect(signed.canonicalBytes.count == 32 + 32 + 8 + 4 + 4 + 64)
        let message = hb.signingBytes(chainID: "c")
        #expect(message == Array("agora/presence/v1\u{0}".utf8) + [1, 0, 0, 0, UInt8(ascii: "c")] + hb.canonicalBytes)
        #expect(hb.signingBytes(chainID: "c") != hb.signingBytes(chainID: "d"))
        var long = hb
        long.status = String(repeating: "x", count: PresenceLimits.maxStatusBytes + 1)
        let bytes = SignedHeartbeat(heartbeat: long, signature: signed.signature).canonicalBytes
        #expect(throws: CodecError.self) { try SignedHeartbeat(canonicalBytes: bytes) }
    }

    @Test("20,000 mutated task payloads and heartbeats never crash a decoder and decode only canonically")
    func fuzz() {
        var r = SeededRandom(seed: 0x7A5C)
        let refs = [ArtifactRef(sha256: Fixtures.hash(&r), size: 3), ArtifactRef(sha256: Fixtures.hash(&r), size: 4)].sorted()
        let seeds: [[UInt8]] = [
            Payload.createTask(TaskSpec(group: Fixtures.hash(&r), title: "t", description: "d", reward: Amount(5)!, deadline: 9, artifacts: refs)).canonicalBytes,
            Payload.assignTask(task: Fixtures.hash(&r), assignee: Fixtures.address(&r)).canonicalBytes,
            Payload.completeTask(task: Fixtures.hash(&r), result: TaskResult(text: "r", artifacts: refs)).canonicalBytes,
            Payload.failTask(task: Fixtures.hash(&r), reason: "why").canonicalBytes,
            Payload.expireTask(task: Fixtures.hash(&r)).canonicalBytes,
            SignedHeartbeat(heartbeat: Heartbeat(group: Fixtures.hash(&r), member: Fixtures.key(&r), time: 7, status: "s"),
                            signature: Signature(bytes: r.bytes(64))!).canonicalBytes,
        ]
        for i in 0..<20_000 {
            var input = seeds[i % seeds.count]
            for _ in 0..<(1 + i % 3) {
                guard !input.isEmpty else { break }
                switch UInt8.random(in: 0...2, using: &r) {
                case 0: input[Int.random(in: 0..<input.count, using: &r)] = UInt8.random(in: 0...255, using: &r)
                case 1: input.removeLast(Int.random(in: 1...min(8, input.count), using: &r))
                default: input.insert(UInt8.random(in: 0...255, using: &r), at: Int.random(in: 0...input.count, using: &r))
                }
            }
            DecoderFuzzTests.check(input) { try Payload(canonicalBytes: $0).canonicalBytes }
            DecoderFuzzTests.check(input) { try SignedHeartbeat(canonicalBytes: $0).canonicalBytes }
        }
    }
}
