import AgoraAPIModels
import AgoraCore

/// A node as a `LightBlockSource`: `GET /api/v1/light-blocks/{height}`. The node's refusals
/// that mean "not here" (`height_not_available`, 404, 410) become `heightNotAvailable`; an
/// unreachable node is `unreachable`; anything else it says is decoded and checked by
/// `LightBlock`.
public struct NodeLightSource: LightBlockSource {
    public let gateway: NodeGateway

    public init(gateway: NodeGateway) { self.gateway = gateway }

    public func lightBlock(height: UInt64) async throws(LightClientError) -> LightBlock {
        let view: API.LightBlockView
        do { view = try await gateway.get("/api/v1/light-blocks/\(height)", as: API.LightBlockView.self) } catch {
            throw Self.classify(error, height: height)
        }
        return try LightBlock(view: view)
    }

    static func classify(_ error: Error, height: UInt64) -> LightClientError {
        switch error as? NodeGateway.Failure {
        case let .refused(status, code, message)? where status == 404 || status == 410 || code == "height_not_available":
            return .heightNotAvailable(height: height, reason: "\(code): \(message)")
        case let .unreachable(base, reason)?: return .unreachable(reason: "\(base): \(reason)")
        case let failure?: return .malformed(what: "answer for height \(height)", reason: failure.description)
        case nil: return .unreachable(reason: "\(error)")
        }
    }
}
