import AgoraCore
import AgoraCrypto
import AgoraLedger
import AgoraMediator
import Foundation
import Logging
import ServiceLifecycle

/// Composes the mediator when `mediator.enabled`: its key, the intent index as the book, the
/// built-in matcher or — with `llm.url` — the chat-completions matcher that falls back to it,
/// the "never twice" memory under `<data-dir>/mediator/proposed.log` seeded from the chain's
/// record of this mediator's proposals, its metrics and its health components (`mediator`,
/// and `llm` when an LLM is configured). Rounds run after every committed block.
extension Node {
    static func openMediator(dataDir: DataDirectory, config: NodeConfig, chain: Chain, metrics: NodeMetrics, health: HealthRegistry,
                             logger: Logger) throws -> MediatorRunner? {
        guard config.mediator.enabled, let keyPath = config.mediator.key else { return nil }
        let key: SigningKey
        do { key = try KeyFile.read(from: keyPath).unlock(password: config.mediator.keyPassword) } catch {
            throw NodeError.key(keyPath, error)
        }
        let mediatorMetrics = MediatorMetrics(factory: metrics.factory)
        var log = logger
        log[metadataKey: "service"] = "mediator"
        var matcher: IntentMatcher = BuiltInMatcher()
        if let llm = config.llm {
            let settings = LLMSettings(url: llm.url, model: llm.model, apiKey: llm.apiKey, timeout: .milliseconds(llm.timeoutMs),
                                       maxRetries: llm.maxRetries, breakerThreshold: llm.breakerThreshold,
                                       breakerCooldown: .milliseconds(llm.breakerCooldownMs))
            let m = ChatCompletionsMatcher(settings: settings, metrics: mediatorMetrics, logger: log)
            health.register(LLMHealth(matcher: m))
            matcher = m
            log.info("mediator uses an LLM", metadata: ["llm": .string(settings.description)])
        }
        let memory = try ProposalMemory(path: dataDir.path + "/mediator/proposed.log")
        for ids in try chain.queries.proposedIntentSets(mediator: key.publicKey.address) { try memory.remember(ids) }
        let settings = MediatorSettings(proposalsPerBlock: config.mediator.proposalsPerBlock, candidatesPerIntent: config.mediator.candidatesPerIntent,
                                        acceptWindow: config.mediator.acceptWindow, challengeWindow: config.mediator.challengeWindow)
        let service = MediatorService(ledger: ChainMediatorLedger(chain: chain, key: key), book: StoreIntentBook(chain: chain),
                                      matcher: matcher, memory: memory, settings: settings, metrics: mediatorMetrics, logger: log)
        health.register(MediatorHealth(service: service))
        log.info("mediator enabled", metadata: ["address": .string(key.publicKey.address.description), "matcher": .string(matcher.name),
                                                "remembered": .stringConvertible(memory.count)])
        let (stream, continuation) = AsyncStream<UInt64>.makeStream(bufferingPolicy: .bufferingNewest(1))
        chain.feed.onCommit { block, _ in continuation.yield(block.header.height) }
        return MediatorRunner(service: service, blocks: stream, continuation: continuation)
    }
}

/// Runs the mediator's rounds as a service; graceful shutdown ends the block stream.
struct MediatorRunner: Service {
    let service: MediatorService
    let blocks: AsyncStream<UInt64>
    let continuation: AsyncStream<UInt64>.Continuation

    func run() async throws {
        continuation.yield(0)  // a first round for intents committed before the start
        await withGracefulShutdownHandler {
            await service.run(blocks: blocks)
        } onGracefulShutdown: {
            continuation.finish()
        }
    }
}
