import AgoraCore
import AgoraCrypto
import Testing
@testable import AgoraState

@Suite("Staking: validator set history")
struct ValidatorHistoryTests {
    let v1 = SigningKey(), admin = SigningKey()

    @Test("history is pruned to the evidence window and always answers head through head+2")
    func pruning() throws {
        var l = try StakingLedger(validators: [(v1, 1)], admin: admin, minBond: 0, maxEvidenceAge: 4, allocations: [(admin, 100_000)])
        // Change the set in every block: each block adds an epoch.
        for power in 2...30 as ClosedRange<UInt64> {
            #expect(try l.run(l.tx(admin, .validatorUpdate(publicKey: v1.publicKey, power: power))) == .ok)
            let head = l.height
            for h in head...(head + 2) { _ = try l.validators(at: h) }
            #expect(try l.validators(at: head + 2).power(of: v1.publicKey) == power)
            #expect(try l.validators(at: head + 1).power(of: v1.publicKey) == power - 1)
            let epochs = try Staking.retainedEpochs(l.state)
            // Evidence in the next block may name head+1-4: the set in force then must be kept.
            #expect(epochs.first! <= max(1, head + 1 - min(head + 1, 4)))
            #expect(epochs.count <= 4 + 3)
        }
        let head = l.height
        #expect(throws: StakingQueryError.self) { try l.validators(at: head - 10) }
        #expect(throws: StakingQueryError.self) { try l.validators(at: 0) }
        // Pruned set entries are deleted from state, not only from the index.
        let setKeys = l.state.entries.keys.filter { $0.bytes.starts(with: Array("staking/set/".utf8)) }
        #expect(setKeys.count == (try Staking.retainedEpochs(l.state)).count)
    }

    @Test("a chain whose set never changes keeps one set and writes nothing for it per block")
    func quietChain() throws {
        var l = try StakingLedger(validators: [(v1, 1)], admin: admin, allocations: [(admin, 100)])
        for _ in 0..<5 {
            let result = try l.block()
            #expect(!result.writes.entries.contains { $0.key.bytes.starts(with: Array("staking/".utf8)) })
        }
        #expect(try Staking.retainedEpochs(l.state) == [1])
        #expect(try l.validators(at: 1_000) == l.working())
    }

    @Test("records, params and the epoch index survive their codecs and refuse non-canonical bytes")
    func codecs() throws {
        let record = ValidatorRecord(bond: Amount(5)!, tombstoned: true, rotatedTo: SigningKey().publicKey, rotatedFrom: nil)
        #expect(try ValidatorRecord(canonicalBytes: record.canonicalBytes) == record)
        var badBool = record.canonicalBytes
        badBool[8] = 2
        #expect(throws: CodecError.self) { try ValidatorRecord(canonicalBytes: badBool) }
        let params = StakingParams(admin: nil, minBond: Amount(9)!, doubleSignSlashBps: 1, maxEvidenceAge: 2)
        #expect(try StakingParams(canonicalBytes: params.canonicalBytes) == params)
        #expect(throws: CodecError.self) { try StakingParams(canonicalBytes: params.canonicalBytes + [0]) }
        let failures: [ExecutionFailure] = [
            .notStakingAdmin(sender: admin.address), .insufficientBond(bond: Amount(1)!, minimum: Amount(2)!), .validatorSetWouldBeEmpty,
            .tooManyValidators(limit: 1_000), .totalPowerTooHigh(maximum: 9), .notAValidator(v1.publicKey), .keyTombstoned(v1.publicKey),
            .keyRetired(v1.publicKey), .rotationTargetInUse(v1.publicKey), .bondLocked(v1.publicKey),
            .unbondAboveBond(bond: Amount(1)!, requested: Amount(2)!),
        ]
        for (i, f) in failures.enumerated() {
            #expect(f.canonicalBytes.first == UInt8(5 + i))
            #expect(try ExecutionFailure(canonicalBytes: f.canonicalBytes) == f)
        }
        // 26–28 became the claims module's retraction failures; 63 is still unassigned.
        #expect(throws: CodecError.unknownTag(type: "failure", tag: 63)) { try ExecutionFailure(canonicalBytes: [63]) }
    }
}
