import AgoraAPIModels
import AgoraClient
import Foundation

/// The CLI's view of a node's API: `NodeGateway`'s typed calls with its failures turned into
/// the CLI's exit codes. A refusal keeps the node's status, JSON error code and message
/// (`"404 claim_not_found: …"`), so scripts can tell a rejection from an unreachable node.
struct NodeClient: Sendable {
    let gateway: NodeGateway

    init(base: String) { gateway = NodeGateway(base: base) }

    func get<T: Decodable>(_ path: String, as: T.Type) async throws -> T {
        try await mapped { try await gateway.get(path, as: T.self) }
    }

    func post<B: Encodable, T: Decodable>(_ path: String, _ body: B, as: T.Type) async throws -> T {
        try await mapped { try await gateway.post(path, body, as: T.self) }
    }

    /// Returns nil on 404 instead of failing.
    func find<T: Decodable>(_ path: String, as: T.Type) async throws -> T? {
        try await mapped { try await gateway.find(path, as: T.self) }
    }

    private func mapped<T>(_ call: () async throws -> T) async throws -> T {
        do { return try await call() } catch let f as NodeGateway.Failure {
            switch f {
            case .invalidURL: throw CLIError(Exit.invalidInput, f.description)
            case .unreachable: throw CLIError(Exit.unreachable, f.description)
            case .refused, .busy, .unexpectedResponse: throw CLIError(Exit.failed, f.description)
            }
        }
    }
}
