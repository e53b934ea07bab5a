import AgoraAPI
import AgoraCore
import AgoraCrypto
import AgoraServices
import AgoraState
import AgoraStorage
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The composition root: opens a data directory and runs the block producer and the HTTP API
/// as services under one ServiceGroup. SIGTERM/SIGINT stop intake, let the block in progress
/// finish, and close the database.
public struct Node {
    public struct Options: Sendable {
        public var http: String?
        public var blockIntervalMs: Int?
        public var password: String?
        public var logLevel: Logger.Level
        public init(http: String? = nil, blockIntervalMs: Int? = nil, password: String? = nil, logLevel: Logger.Level = .info) {
            self.http = http
            self.blockIntervalMs = blockIntervalMs
            self.password = password
            self.logLevel = logLevel
        }
    }

    public static let version = "0.1.0"

    /// Runs until a shutdown signal. `onListening` receives the bound HTTP address.
    public static func run(dataDir: DataDirectory, options: Options, logger: Logger,
                           onListening: @escaping @Sendable (String) -> Void = { _ in }) async throws {
        var settings = try NodeSettings.load(dataDir)
        if let http = options.http { settings.http = http }
        if let ms = options.blockIntervalMs { settings.blockIntervalMs = ms }
        try settings.validate()
        let address = try HostPort.parse(settings.http, setting: "http")

        let keyFile: KeyFile
        let key: SigningKey
        do {
            keyFile = try KeyFile.read(from: settings.validatorKey)
            key = try keyFile.unlock(password: options.password)
        } catch {
            throw NodeError.key(settings.validatorKey, error)
        }

        let store = try BlockStore(path: dataDir.databaseFile)
        let chain = try Chain(store: store, validatorKey: key, expectedChainID: settings.chainID,
                              config: .init(maxBlockTransactions: settings.maxBlockTransactions), logger: logger)
        let head = chain.snapshot.head
        logger.info("chain opened", metadata: ["chain": .string(settings.chainID), "height": .stringConvertible(head.height),
                                               "head": .string(head.hash.hex), "data_dir": .string(dataDir.path)])

        let interval = Duration.milliseconds(settings.blockIntervalMs)
        let status = ProducerStatus()
        let producer = BlockProducer(chain: chain, interval: interval, createEmptyBlocks: settings.createEmptyBlocks,
                                     status: status, logger: logger)
        let deps = APIDependencies(chain: chain, producer: status, blockInterval: interval,
                                   createEmptyBlocks: settings.createEmptyBlocks, version: version)
        let app = Application(router: APIRoutes.router(deps),
                              configuration: .init(address: .hostname(address.host, port: address.port), serverName: "agora"),
                              onServerRunning: { channel in
                                  let bound = "\(address.host):\(channel.localAddress?.port ?? address.port)"
                                  onListening(bound)
                              },
                              logger: logger)
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: producer), .init(service: app)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
        try store.close()
        logger.info("node stopped", metadata: ["height": .stringConvertible(chain.snapshot.head.height)])
    }
}
