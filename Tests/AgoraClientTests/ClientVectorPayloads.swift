import AgoraCore
import Foundation

@testable import AgoraCrypto

/// One payload of every kind for the client vectors, each beside the arguments a client passes
/// to build it. The arguments use the Python SDK's names (snake_case, amounts as integers, IDs and
/// keys as hex, addresses as `ag1…`), and where a client must normalise before signing (claim
/// tags, artifact order) they are given un-normalised on purpose, so the vectors check that too.
extension ClientVectors {
    struct PayloadVector {
        var args: [String: Any]
        var payload: Payload
    }

    static var policyArgs: [String: Any] { ["faucet_amount": 5, "claim_reward": 2, "transfer_fee_bps": 25, "max_supply": 1_000, "max_balance": 500] }
    static let policy = GroupPolicy(faucetAmount: Amount(5)!, claimReward: Amount(2)!, transferFeeBps: 25, maxSupply: Amount(1_000)!, maxBalance: Amount(500)!)
    static var refArgs: [[String: Any]] { [["sha256": hex(0x42, 32), "size": 20], ["sha256": hex(0x41, 32), "size": 10]] }
    static let refs = [ArtifactRef(sha256: hash(0x41), size: 10), ArtifactRef(sha256: hash(0x42), size: 20)]
    static var termsArgs: [String: Any] { ["asset": "gpu-hours", "amount": [10, 20], "price": [5, 9], "deadline": 100] }
    static let terms = IntentTerms(asset: "gpu-hours", amount: ValueRange(min: 10, max: 20), price: ValueRange(min: 5, max: 9), deadline: 100)

    static func payloads() throws -> [PayloadVector] {
        try bankAndStaking() + groupsAndClaims() + tasks() + market() + intents() + governance()
    }

    static func bankAndStaking() throws -> [PayloadVector] {
        let validator = try other()
        let proof = validator.sign(KeyRotation.message(chainID: chainID, oldKey: try signer().publicKey))
        return [
            .init(args: ["to": address(1).description, "amount": 1_234, "memo": "rent"],
                  payload: .transfer(to: address(1), amount: Amount(1_234)!, memo: "rent")),
            .init(args: ["to": address(2).description, "amount": Int64.max, "memo": ""],
                  payload: .transfer(to: address(2), amount: Amount(UInt64(Int64.max))!, memo: "")),
            .init(args: [:], payload: .faucet),
            .init(args: ["public_key": validator.publicKey.hex, "power": 10], payload: .validatorUpdate(publicKey: validator.publicKey, power: 10)),
            .init(args: ["amount": 40], payload: .bond(amount: Amount(40)!)),
            .init(args: ["amount": 50], payload: .unbond(amount: Amount(50)!)),
            .init(args: ["new_key": validator.publicKey.hex, "proof": proof.hex], payload: .rotateValidatorKey(newKey: validator.publicKey, proof: proof)),
            try evidence(validator),
        ]
    }

    /// Two precommits of one validator for different blocks at the same height and round, given
    /// to the client in the reverse of the canonical order (it must sort them by block hash).
    static func evidence(_ validator: SigningKey) throws -> PayloadVector {
        func signed(_ block: Hash) -> (SignedVote, [String: Any]) {
            let vote = Vote(chainID: chainID, height: 7, round: 2, kind: .precommit, blockHash: block)
            let sig = validator.sign(vote.signingBytes)
            return (SignedVote(vote: vote, validator: validator.publicKey, signature: sig),
                    ["chain_id": chainID, "height": 7, "round": 2, "kind": "precommit", "block_hash": block.hex,
                     "validator": validator.publicKey.hex, "signature": sig.hex])
        }
        let (a, aArgs) = signed(hash(0x32)), (b, bArgs) = signed(hash(0x34))
        return .init(args: ["votes": [bArgs, aArgs]], payload: .evidence(try DuplicateVoteEvidence(a, b)))
    }

    static func groupsAndClaims() -> [PayloadVector] {
        [
            .init(args: ["name": "researchers", "policy": policyArgs], payload: .createGroup(name: "researchers", policy: policy)),
            .init(args: ["name": "lab", "policy": NSNull()], payload: .createGroup(name: "lab", policy: .none)),
            .init(args: ["group": hash(9).hex, "member": address(9).description, "role": "observer"],
                  payload: .addGroupMember(group: hash(9), member: address(9), role: .observer)),
            .init(args: ["group": hash(10).hex, "member": address(10).description],
                  payload: .removeGroupMember(group: hash(10), member: address(10))),
            .init(args: ["group": hash(11).hex, "member": address(11).description, "role": "admin"],
                  payload: .setGroupRole(group: hash(11), member: address(11), role: .admin)),
            .init(args: ["group": hash(12).hex, "policy": policyArgs], payload: .updateGroupPolicy(group: hash(12), policy: policy)),
            .init(args: ["group": hash(13).hex, "amount": 13], payload: .fundGroup(group: hash(13), amount: Amount(13)!)),
            .init(args: ["group": hash(14).hex, "text": "the sky is blue", "tags": ["Rust", " #ai", "rust"], "parent": hash(0x14).hex, "artifacts": refArgs],
                  payload: .publishClaim(ClaimContent(group: hash(14), text: "the sky is blue", tags: ["ai", "rust"], parent: hash(0x14), artifacts: refs))),
            .init(args: ["group": hash(14).hex, "text": "héllo ✓", "tags": [], "parent": NSNull(), "artifacts": []],
                  payload: .publishClaim(ClaimContent(group: hash(14), text: "héllo ✓", tags: [], parent: nil, artifacts: []))),
            .init(args: ["group": hash(14).hex, "text": "derived", "tags": ["ml"], "parent": NSNull(), "artifacts": [],
                         "sources": [hash(2).hex, hash(1).hex]],
                  payload: .publishClaim(ClaimContent(group: hash(14), text: "derived", tags: ["ml"], parent: nil, artifacts: [],
                                                      sources: [hash(1), hash(2)]))),
            .init(args: ["claim": hash(0x35).hex, "reason": "superseded by a later measurement ✓"],
                  payload: .retractClaim(claim: hash(0x35), reason: "superseded by a later measurement ✓")),
        ]
    }

    static func tasks() -> [PayloadVector] {
        [
            .init(args: ["group": hash(21).hex, "title": "review the draft", "description": "two pages", "reward": 50,
                         "deadline": 1_700_000_000_000, "artifacts": refArgs],
                  payload: .createTask(TaskSpec(group: hash(21), title: "review the draft", description: "two pages", reward: Amount(50)!,
                                                deadline: 1_700_000_000_000, artifacts: refs))),
            .init(args: ["group": hash(21).hex, "title": "t", "description": "", "reward": 0, "deadline": NSNull(), "artifacts": []],
                  payload: .createTask(TaskSpec(group: hash(21), title: "t"))),
            .init(args: ["task": hash(22).hex, "assignee": address(22).description], payload: .assignTask(task: hash(22), assignee: address(22))),
            .init(args: ["task": hash(23).hex], payload: .startTask(task: hash(23))),
            .init(args: ["task": hash(24).hex, "text": "done", "artifacts": refArgs],
                  payload: .completeTask(task: hash(24), result: TaskResult(text: "done", artifacts: refs))),
            .init(args: ["task": hash(25).hex, "reason": "blocked"], payload: .failTask(task: hash(25), reason: "blocked")),
            .init(args: ["task": hash(26).hex], payload: .cancelTask(task: hash(26))),
            .init(args: ["task": hash(27).hex], payload: .expireTask(task: hash(27))),
        ]
    }

    static func market() -> [PayloadVector] {
        let offerArgs: [String: Any] = [
            "title": "dataset v1", "artifact": ["sha256": hex(15, 32), "size": 1_234], "plaintext_sha256": hex(0x15, 32),
            "key_commitment": hex(0x16, 32), "price": 500, "bond": 100, "expires_at": 1_700_000_000_000,
            "delivery_window_ms": 5_000, "dispute_window_ms": 60_000, "group": hash(0x17).hex,
        ]
        let offer = OfferTerms(title: "dataset v1", artifact: ArtifactRef(sha256: hash(15), size: 1_234), plaintextSHA256: hash(0x15),
                               keyCommitment: hash(0x16), price: Amount(500)!, bond: Amount(100)!, expiresAt: 1_700_000_000_000,
                               deliveryWindowMs: 5_000, disputeWindowMs: 60_000, group: hash(0x17))
        var openArgs = offerArgs
        openArgs["group"] = NSNull()
        var open = offer
        open.group = nil
        var royalty = offer
        royalty.royalty = Royalty(claim: hash(0x42), bps: 3_000)
        return [
            .init(args: offerArgs, payload: .createOffer(offer)),
            .init(args: openArgs, payload: .createOffer(open)),
            .init(args: offerArgs.merging(["royalty": ["claim": hash(0x42).hex, "bps": 3_000]]) { a, _ in a },
                  payload: .createOffer(royalty)),
            .init(args: ["offer": hash(16).hex], payload: .cancelOffer(offer: hash(16))),
            .init(args: ["offer": hash(17).hex, "buyer_key": hex(17, 32)], payload: .buyOffer(offer: hash(17), buyerKey: Bytes32([UInt8](repeating: 17, count: 32)))),
            .init(args: ["purchase": hash(18).hex, "encapsulated_key": hex(18, 32), "ciphertext": hex(0x18, 48)],
                  payload: .deliverKey(purchase: hash(18), sealed: SealedContentKey(encapsulatedKey: Bytes32([UInt8](repeating: 18, count: 32)),
                                                                                    ciphertext: [UInt8](repeating: 0x18, count: 48)))),
            .init(args: ["purchase": hash(19).hex, "buyer_secret": hex(19, 32)],
                  payload: .disputePurchase(purchase: hash(19), buyerSecret: Bytes32([UInt8](repeating: 19, count: 32)))),
        ]
    }

    static func intents() -> [PayloadVector] {
        let proposalArgs: [String: Any] = [
            "intents": [hash(0x52).hex, hash(0x51).hex], "terms_text": "alice delivers 10 GPU hours; bob pays 1750", "terms": termsArgs,
            "payments": [["from": address(0x53).description, "to": address(0x54).description, "amount": 1_750]],
            "mediator_fee": 35, "accept_by": 90, "challenge_window": 10,
            "score": ["source": 1, "kind": 1_000, "terms": 1_000, "text": 640, "total": 820],
        ]
        let proposal = SettlementProposal(intents: [hash(0x51), hash(0x52)], termsText: "alice delivers 10 GPU hours; bob pays 1750", terms: terms,
                                          payments: [SettlementPayment(from: address(0x53), to: address(0x54), amount: Amount(1_750)!)],
                                          mediatorFee: Amount(35)!, acceptBy: 90, challengeWindow: 10,
                                          score: MatchScore(source: 1, kind: 1_000, terms: 1_000, text: 640, total: 820))
        let none: [String: Any] = ["asset": "", "amount": NSNull(), "price": NSNull(), "deadline": NSNull()]
        return [
            .init(args: ["group": hash(28).hex, "intent_kind": "offer", "text": "spare GPU hours", "terms": termsArgs, "bond": 5],
                  payload: .postIntent(IntentContent(group: hash(28), kind: .offer, text: "spare GPU hours", terms: terms, bond: Amount(5)!))),
            .init(args: ["group": hash(28).hex, "intent_kind": "request", "text": "a bike", "terms": none, "bond": 0],
                  payload: .postIntent(IntentContent(group: hash(28), kind: .request, text: "a bike"))),
            .init(args: ["intent": hash(29).hex], payload: .withdrawIntent(intent: hash(29))),
            .init(args: ["stake": 100, "fee_bps": 250], payload: .registerMediator(stake: Amount(100)!, feeBps: 250)),
            .init(args: proposalArgs, payload: .proposeSettlement(proposal)),
            .init(args: ["settlement": hash(32).hex], payload: .acceptSettlement(settlement: hash(32))),
            .init(args: ["settlement": hash(33).hex, "reason": "not as described", "bond": 10],
                  payload: .challengeSettlement(settlement: hash(33), reason: "not as described", bond: Amount(10)!)),
            .init(args: ["settlement": hash(34).hex, "upheld": true], payload: .resolveChallenge(settlement: hash(34), upheld: true)),
        ]
    }
}

extension ClientVectors {
    /// One `gov_submit` per proposal action (parameter changes given unsorted on purpose: the
    /// client sorts by key before signing), a deposit and a vote.
    static func governance() throws -> [PayloadVector] {
        let v1 = try other().publicKey, v2 = try signer().publicKey
        let sorted = [v1, v2].sorted()
        func submit(_ args: [String: Any], _ title: String, _ action: ProposalAction, summary: String = "") -> PayloadVector {
            var all = args
            all["title"] = title; all["summary"] = summary; all["deposit"] = 100
            return .init(args: all, payload: .submitProposal(content: ProposalContent(title: title, summary: summary, action: action), deposit: Amount(100)!))
        }
        return [
            submit(["action": ["kind": "text"]], "signal", .text, summary: "we agree"),
            submit(["action": ["kind": "parameter_change", "changes": ["gov.votingPeriod": 50, "bank.transferFeeBps": 300]]], "fees",
                   .parameterChange([ParamChange(key: .bankTransferFeeBps, value: 300), ParamChange(key: .govVotingPeriod, value: 50)])),
            submit(["action": ["kind": "validator_change", "validators": [["public_key": sorted[1].hex, "power": 0], ["public_key": sorted[0].hex, "power": 7]]]],
                   "set", .validatorChange([Validator(publicKey: sorted[0], power: 7), Validator(publicKey: sorted[1], power: 0)])),
            submit(["action": ["kind": "treasury_spend", "to": address(0x61).description, "amount": 900]], "grant",
                   .treasurySpend(to: address(0x61), amount: Amount(900)!)),
            submit(["action": ["kind": "software_upgrade", "name": "v2-fee-round-up", "height": 5_000, "info": "agora 0.3"]], "upgrade",
                   .softwareUpgrade(UpgradePlan(name: "v2-fee-round-up", height: 5_000, info: "agora 0.3"))),
            submit(["action": ["kind": "cancel_upgrade", "name": "v2-fee-round-up"]], "cancel", .cancelUpgrade(name: "v2-fee-round-up")),
            .init(args: ["proposal": 3, "amount": 25], payload: .depositProposal(proposal: 3, amount: Amount(25)!)),
            .init(args: ["proposal": 3, "option": "no_with_veto"], payload: .voteProposal(proposal: 3, option: .noWithVeto)),
        ]
    }
}
