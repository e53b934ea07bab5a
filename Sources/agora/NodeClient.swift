import AgoraAPI
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A small client for the node's HTTP API, used by the CLI. Errors carry the node's JSON error
/// code so scripts can tell a rejection from an unreachable node.
struct NodeClient: Sendable {
    let base: String

    struct NodeError: Decodable { let code: String; let message: String }

    func get<T: Decodable>(_ path: String, as: T.Type) async throws -> T {
        try await send("GET", path, body: nil, as: T.self)
    }

    func post<B: Encodable, T: Decodable>(_ path: String, _ body: B, as: T.Type) async throws -> T {
        try await send("POST", path, body: try JSONEncoder().encode(body), as: T.self)
    }

    /// Returns nil on 404 instead of failing.
    func find<T: Decodable>(_ path: String, as: T.Type) async throws -> T? {
        do { return try await get(path, as: T.self) } catch let e as CLIError where e.message.hasPrefix("404 ") { return nil }
    }

    private func send<T: Decodable>(_ method: String, _ path: String, body: Data?, as: T.Type) async throws -> T {
        guard let url = URL(string: base.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + path) else {
            throw CLIError(Exit.invalidInput, "invalid node URL \(base)")
        }
        var request = URLRequest(url: url, timeoutInterval: 30)
        request.httpMethod = method
        if let body {
            request.httpBody = body
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch {
            throw CLIError(Exit.unreachable, "cannot reach node at \(base): \(error.localizedDescription)")
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard (200..<300).contains(status) else {
            if let e = try? JSONDecoder().decode(NodeError.self, from: data) {
                throw CLIError(status == 404 ? Exit.failed : Exit.failed, "\(status) \(e.code): \(e.message)")
            }
            throw CLIError(Exit.failed, "\(status) from \(path)")
        }
        do { return try JSONDecoder().decode(T.self, from: data) } catch {
            throw CLIError(Exit.failed, "unexpected response from \(path): \(error)")
        }
    }
}
