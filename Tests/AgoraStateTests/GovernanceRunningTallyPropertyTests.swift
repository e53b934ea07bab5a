import AgoraCore
import AgoraCrypto
import Testing
@testable import AgoraState

/// Seeded random block sequences of everything that moves the running tally — submissions
/// (signals and validator changes, which execute when they pass), votes and changed votes,
/// bonds, unbonds, key rotations, slashes, changes of the set and of power — with voting periods
/// of 1–6 heights so that proposals end all the time. `Chain.block` checks, at every end of a
/// voting period, the stored final tally against a recount made just before, and after every
/// block every open proposal, the bonded total and every voter's recorded weight against a
/// recount for the next block.
@Suite("Governance: running tally equals a recount (property)")
struct GovernanceRunningTallyPropertyTests {
    typealias Chain = GovernanceRunningTallyTests.Chain

    @Test("seeded random blocks: the running tally equals a recount at every end and after every block", arguments: Array(1...24))
    func equalsRecount(seed: Int) throws {
        var rng = SplitMix64(seed: UInt64(seed) &* 0x5EED_7A11)
        var pool = (0..<8).map { _ in SigningKey() }
        let bonds = (0..<5).map { _ in UInt64.random(in: 100...5_000, using: &rng) }
        let c = try Chain(validators: Array(pool[0..<5]), bonds: bonds, others: Array(pool[5...]),
                          votingPeriod: UInt64.random(in: 1...6, using: &rng))
        let proposer = c.proposer
        var steps = [Int](repeating: 0, count: 9)
        var succeeded = 0
        for _ in 0..<120 {
            try c.block { s, at in
                for _ in 0..<Int.random(in: 0...8, using: &rng) {
                    let kind = Int.random(in: 0..<steps.count, using: &rng)
                    steps[kind] += 1
                    if try Self.step(kind, s, at, proposer: proposer, pool: &pool, rng: &rng) == nil { succeeded += 1 }
                }
            }
        }
        // Not vacuous: proposals ended with votes counted, and every kind of step ran.
        let counted = try (UInt64(1)..<Governance.count(state: c.state) + 1).filter {
            try (Governance.proposal($0, state: c.state)?.tally?.turnout ?? 0) > 0
        }
        #expect(c.endsChecked > 20 && counted.count > 5, "\(c.endsChecked) ends, \(counted.count) with votes")
        #expect(steps.allSatisfy { $0 > 0 } && succeeded > 100, "\(steps) \(succeeded)")
    }

    /// One random operation of `kind`; nil when it took effect, else why it did not.
    static func step(_ kind: Int, _ s: StateOverlay, _ at: BlockContext, proposer: SigningKey, pool: inout [SigningKey],
                     rng: inout SplitMix64) throws -> ExecutionFailure? {
        let key = pool.randomElement(using: &rng)!
        switch kind {
        case 0:
            let action: ProposalAction = Int.random(in: 0..<3, using: &rng) > 0 ? .text
                : .validatorChange([Validator(publicKey: pool.randomElement(using: &rng)!.publicKey, power: UInt64.random(in: 0...2, using: &rng))])
            return try Governance.submit(s, sender: proposer.address, content: ProposalContent(title: "p", action: action),
                                         deposit: Amount(10)!, context: at)
        case 1, 2:
            let next = try Governance.nextID(s)
            guard next > 1 else { return .proposalNotFound(0) }
            // Mostly a proposal still open and a key of the signing set, so most votes count.
            let recent = (next > 8 ? next - 8 : 1)..<next
            let open = try recent.filter { try Governance.proposal(s, $0)?.status == .votingPeriod }
            let id = Int.random(in: 0..<4, using: &rng) > 0 ? open.randomElement(using: &rng) ?? 1 : UInt64.random(in: recent, using: &rng)
            let members = try Staking.validators(forHeight: at.height, s).validators.map(\.publicKey)
            let voter = Int.random(in: 0..<4, using: &rng) > 0 ? members.randomElement(using: &rng)! : key.publicKey
            return try Governance.vote(s, voter: voter, proposal: id, option: VoteOption.allCases.randomElement(using: &rng)!, context: at)
        case 3: return try Staking.bond(s, key: key.publicKey, amount: Amount(UInt64.random(in: 1...500, using: &rng))!)
        case 4:
            let bond = try Staking.record(s, key.publicKey)?.bond.units ?? 0
            guard bond > 0 else { return .zeroAmount }
            return try Staking.unbond(s, key: key.publicKey, amount: Amount(UInt64.random(in: 1...bond, using: &rng))!, height: at.height,
                                      bank: try Bank.params(s))
        case 5:
            let fresh = SigningKey()
            let failure = try Staking.rotate(s, from: key.publicKey, to: fresh.publicKey)
            if failure == nil { pool.append(fresh) }
            return failure
        case 6:
            // Slashes are rarer than the rest, so the set does not empty out of tombstones.
            guard Int.random(in: 0..<6, using: &rng) == 0 else { return .zeroAmount }
            try Staking.punish(s, GovernanceRunningTallyTests.doubleSign(key, height: at.height))
            return nil
        default:
            return try Staking.setPower(s, key: key.publicKey, power: UInt64.random(in: 0...3, using: &rng))
        }
    }
}
