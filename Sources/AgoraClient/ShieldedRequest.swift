import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One HTTP request that a caller's task cancellation does not reach.
///
/// On Linux, swift-corelibs-foundation's URLSession can kill the process when a task is
/// cancelled while it completes: cancelling `data(for:)` calls `URLSessionTask.cancel()`,
/// which races the completion and traps in `URLSession.behaviour(for:)` ("Trying to access a
/// behaviour for a task that in not in the registry"). A node's in-process MCP server reads its
/// own API through `NodeGateway`, and an agent closing its session cancels those reads: the
/// e2e run of 2026-12-05 lost its node that way. The requests made here are short and bounded
/// by their `timeoutInterval`, so each runs in a detached task and the caller waits for it to
/// end; a cancelled caller still gets its answer (or the timeout) and discards it.
enum ShieldedRequest {
    static func data(for request: URLRequest) async throws -> (Data, URLResponse) {
        let answer = try await Task.detached { () throws -> Answer in
            let (data, response) = try await URLSession.shared.data(for: request)
            return Answer(data: data, response: response)
        }.value
        return (answer.data, answer.response)
    }

    /// URLResponse is an immutable value once delivered; it crosses back to the caller once.
    private struct Answer: @unchecked Sendable {
        let data: Data
        let response: URLResponse
    }
}
