import AgoraCore
@testable import AgoraLedger
import Testing

/// Module events are found by payload tag (`ModuleEventRegistry`), not by a switch in Chain.
@Suite("Module event registry")
struct ModuleEventRegistryTests {
    @Test("every payload kind that publishes a module event has exactly one source; settlement steps publish from the write set")
    func standardRegistryCoversThePayloads() {
        let registry = ModuleEventRegistry.standard
        let described: [Payload.Tag] = [
            .transfer, .faucet, .validatorUpdate, .bond, .unbond, .rotateValidatorKey, .evidence,
            .createGroup, .addGroupMember, .removeGroupMember, .setGroupRole, .updateGroupPolicy, .fundGroup, .publishClaim,
            .createTask, .assignTask, .startTask, .completeTask, .failTask, .cancelTask, .expireTask,
            .createOffer, .cancelOffer, .buyOffer, .deliverKey, .disputePurchase,
            .postIntent, .withdrawIntent, .registerMediator,
        ]
        for tag in described { #expect(registry.source(for: tag) != nil, "\(tag) has an event source") }
        for tag in [Payload.Tag.proposeSettlement, .acceptSettlement, .challengeSettlement, .resolveChallenge] {
            #expect(registry.source(for: tag) == nil, "\(tag) publishes through its module's end-of-block events")
        }
    }
}
