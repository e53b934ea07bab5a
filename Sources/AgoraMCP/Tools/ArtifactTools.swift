import AgoraAPIModels
import AgoraClient
import AgoraCore
import Foundation
import MCP
import Synchronization

/// Artifacts through MCP: small files (at most `maxBytes`) sent inline as UTF-8 text or base64.
/// Larger ones go through `agora artifact put|get`, which stream; a tool result is one JSON
/// message, so inline content has to stay small enough to hold in memory on both sides.
enum ArtifactTools {
    static let maxBytes = 4 * 1024 * 1024
    static let all: [AgoraTool] = [upload, fetch]

    /// Content read back (an artifact, a purchase's decrypted content): text or base64.
    static func contentFields(_ hashDescription: String) -> [String: Value] {
        ["sha256": Schema.hash(hashDescription), "size": Schema.integer("Size in bytes"),
         "encoding": Schema.string("How content is given", enumeration: ["utf8", "base64"]), "content": Schema.string("The bytes")]
    }

    static let contentOutput = ToolOutput.object(contentFields("Artifact SHA-256"), required: ["sha256", "size", "encoding", "content"])

    static let upload = AgoraTool(
        "upload_artifact", title: "Upload artifact",
        "Store content on the node as a content-addressed artifact (at most 4 MiB here; larger files with `agora artifact put`). Returns its sha256 and size, which publish_claim takes as an artifact reference.",
        input: Schema.object(["content": Schema.string("The bytes: UTF-8 text, or base64 when encoding is base64", maxLength: maxBytes * 4 / 3 + 4),
                              "encoding": Schema.string("How content is given", enumeration: ["utf8", "base64"])],
                             required: ["content"]),
        output: ToolOutput.object(["sha256": Schema.hash("Artifact SHA-256"), "size": Schema.integer("Size in bytes", minimum: 1)], required: ["sha256", "size"]), effect: .addsIdempotently
    ) { args, session in
        let content = try args.string("content", maxBytes: maxBytes * 4 / 3 + 4)
        let bytes = try decode(content, encoding: try args.optionalString("encoding", maxBytes: 8))
        try args.finish(consumed: ["content", "encoding"])
        guard !bytes.isEmpty else { throw ToolError.invalidArgument(argument: "content", reason: "an artifact holds at least one byte") }
        guard bytes.count <= maxBytes else { throw ToolError.invalidArgument(argument: "content", reason: "\(bytes.count) bytes, at most \(maxBytes) through MCP") }
        guard let agent = session.agent else { throw ToolError.noIdentity }
        let chainID = try await session.chainID()
        var client = ArtifactClient(base: session.gateway.base)
        client.authorization = { sha, size in
            ArtifactRequestSignature.header(key: agent.key, action: .upload, chainID: chainID, sha256: sha, size: size)
        }
        let source = BytesSource(bytes)
        let sha = try ArtifactClient.hash(source)
        do { _ = try await client.upload(source, sha256: sha) } catch let f as ArtifactClient.Failure { throw artifactError(f) }
        return ["sha256": .string(sha.hex), "size": .int(bytes.count)]
    }

    static let fetch = AgoraTool(
        "fetch_artifact", title: "Fetch artifact",
        "Read an artifact stored on the node (at most 4 MiB here), verified against its SHA-256. Returns UTF-8 text when the bytes are text, else base64.",
        input: Schema.object(["sha256": Schema.hash("Artifact SHA-256"),
                              "encoding": Schema.string("Force the answer's encoding", enumeration: ["utf8", "base64"])],
                             required: ["sha256"]),
        output: ArtifactTools.contentOutput, effect: .reads
    ) { args, session in
        let sha = try args.hash("sha256")
        let encoding = try args.optionalString("encoding", maxBytes: 8)
        guard encoding == nil || encoding == "utf8" || encoding == "base64" else {
            throw ToolError.invalidArgument(argument: "encoding", reason: "must be utf8 or base64")
        }
        try args.finish(consumed: ["sha256", "encoding"])
        var auth: String?
        if let agent = session.agent {
            auth = ArtifactRequestSignature.header(key: agent.key, action: .read, chainID: try await session.chainID(), sha256: sha, size: 0)
        }
        let collected = Mutex(Data())
        let limit = maxBytes
        do {
            try await ArtifactClient(base: session.gateway.base).download(sha, auth: auth) { piece in
                try collected.withLock { data in
                    guard data.count + piece.count <= limit else {
                        throw ToolError.invalidArgument(argument: "sha256", reason: "the artifact is larger than \(limit) bytes; use `agora artifact get`")
                    }
                    data.append(piece)
                }
            }
        } catch let f as ArtifactClient.Failure { throw artifactError(f) }
        let data = collected.withLock { $0 }
        guard Hash.sha256(data) == sha else {
            throw ToolError.nodeRefused(code: "artifact_corrupt", message: "the bytes received do not hash to \(sha.hex)")
        }
        if encoding != "base64", let text = String(data: data, encoding: .utf8) {
            if encoding == "utf8" || !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && !"\n\r\t".unicodeScalars.contains($0) }) {
                return ["sha256": .string(sha.hex), "size": .int(data.count), "encoding": "utf8", "content": .string(text)]
            }
        }
        if encoding == "utf8" { throw ToolError.invalidArgument(argument: "encoding", reason: "the artifact is not UTF-8 text") }
        return ["sha256": .string(sha.hex), "size": .int(data.count), "encoding": "base64", "content": .string(data.base64EncodedString())]
    }

    static func decode(_ content: String, encoding: String?) throws -> [UInt8] {
        switch encoding ?? "utf8" {
        case "utf8": return Array(content.utf8)
        case "base64":
            guard let d = Data(base64Encoded: content) else { throw ToolError.invalidArgument(argument: "content", reason: "is not valid base64") }
            return Array(d)
        default: throw ToolError.invalidArgument(argument: "encoding", reason: "must be utf8 or base64")
        }
    }

    static func artifactError(_ f: ArtifactClient.Failure) -> ToolError {
        switch f {
        case let .invalidInput(m): return .invalidArgument(argument: "content", reason: m)
        case let .unreachable(m): return .nodeUnreachable(m)
        case let .refused(m):
            if m.hasPrefix("404 ") { return .notFound(m) }
            let parts = m.split(separator: " ", maxSplits: 2)
            let code = parts.count >= 2 ? String(parts[1].dropLast(parts[1].hasSuffix(":") ? 1 : 0)) : "refused"
            return .nodeRefused(code: code, message: m)
        }
    }
}
