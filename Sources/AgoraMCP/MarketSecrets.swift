import AgoraCore
import Foundation

/// The secrets an agent's market activity needs later, as files in its key directory: the
/// content key of each offer it made (`offer-<id>.content-key`, needed to deliver) and the
/// one-time X25519 private key of each purchase (`purchase-<id>.x25519`, needed to open the
/// delivery or to dispute it). The same names `agora market offer|buy` use, so an agent can
/// start a sale on the command line and finish it through MCP. Written before the transaction
/// that needs them is sent (mode 0600, temp file and rename), so a crash cannot lose them.
public struct MarketSecrets: Sendable {
    public let directory: String

    public init(directory: String) { self.directory = directory }

    public func contentKeyPath(offer: Hash) -> String { directory + "/offer-\(offer.hex).content-key" }
    public func buyerKeyPath(purchase: Hash) -> String { directory + "/purchase-\(purchase.hex).x25519" }

    public func write(_ bytes: [UInt8], to path: String) throws(ToolError) {
        let temp = path + ".\(UUID().uuidString).tmp"
        guard FileManager.default.createFile(atPath: temp, contents: Data((Hex.encode(bytes) + "\n").utf8), attributes: [.posixPermissions: 0o600]),
              rename(temp, path) == 0 else {
            try? FileManager.default.removeItem(atPath: temp)
            throw .nodeRefused(code: "secret_not_saved", message: "cannot write \(path)")
        }
    }

    public func read(_ path: String, what: String) throws(ToolError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path), data.count <= 200,
              let bytes = Hex.decode(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)), bytes.count == 32
        else { throw .notFound("\(what) (\(path))") }
        return bytes
    }
}
