import AgoraCore

extension API {
    public struct UploadRequest: Codable, Sendable {
        public var sha256: String
        public var size: Int64
        public init(sha256: String, size: Int64) { self.sha256 = sha256; self.size = size }
    }

    /// An upload's state; with `alreadyStored` the node has the content and no upload was opened.
    public struct UploadView: Codable, Sendable {
        public var sha256: String
        public var size: Int64
        public var alreadyStored: Bool
        public var uploadID: String?
        public var chunkBytes: Int?
        public var chunkCount: Int?
        public var nextIndex: Int?
        public var received: Int64?
        public var expiresInMs: Int64?

        public init(sha256: String, size: Int64, alreadyStored: Bool, uploadID: String? = nil, chunkBytes: Int? = nil,
                    chunkCount: Int? = nil, nextIndex: Int? = nil, received: Int64? = nil, expiresInMs: Int64? = nil) {
            self.sha256 = sha256; self.size = size; self.alreadyStored = alreadyStored; self.uploadID = uploadID
            self.chunkBytes = chunkBytes; self.chunkCount = chunkCount; self.nextIndex = nextIndex; self.received = received
            self.expiresInMs = expiresInMs
        }
    }

    public struct ArtifactView: Codable, Sendable {
        public var sha256: String
        public var size: Int64

        public init(sha256: String, size: Int64) {
            self.sha256 = sha256; self.size = size
        }
    }
}
