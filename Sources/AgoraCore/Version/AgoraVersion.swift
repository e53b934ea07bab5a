/// The one version string of this build: `agora --version`, the stdio MCP server, the node's
/// `/api/v1/status` and the HTTP MCP server all report it (a test checks they agree). 0.3.0:
/// the release whose addresses carry a checksum.
public enum AgoraVersion {
    public static let current = "0.3.0"
}
