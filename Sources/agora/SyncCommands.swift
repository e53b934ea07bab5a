import AgoraAPIModels
import AgoraCore
import AgoraCrypto
import AgoraLedger
import ArgumentParser
import Foundation

/// `agora sync group GROUP --out DIR`: brings a member's local copy of a group up to date after
/// time away — the group, its members, every claim committed after the last height this
/// directory saw (`DIR/sync.json`), and every artifact those claims reference, downloaded with
/// the member's signature and verified. Claims are one file each (`claims/<id>.json`) and
/// artifacts are named by hash, so a sync interrupted at any point is simply run again; the
/// saved height moves only once everything up to it is on disk. Artifacts the node itself is
/// still fetching from its peers are waited for (with backoff) up to `--timeout`.
struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sync", abstract: "Copy what a group published into a directory, resumably.",
                                                    subcommands: [GroupSync.self])

    struct GroupSync: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "group",
                                                        abstract: "Claims and artifacts of a group since this directory's last sync.",
                                                        discussion: """
                                                            Writes DIR/group.json and DIR/members.json (the group now), DIR/claims/<id>.json for every \
                                                            claim committed after the last synced height, and DIR/artifacts/<sha256> for every artifact \
                                                            those claims reference (verified). It syncs claims and artifacts only: not tasks, presence, \
                                                            intents or market offers (read those with `agora query`).
                                                            """)
        @Argument(help: "Group ID (64 hex digits).") var group: String
        @Option(help: "Directory of the local copy (created; holds sync.json with the last height).") var out: String
        @OptionGroup var node: NodeOption
        @OptionGroup var keys: KeysOption
        @Option(help: "Member key that signs artifact reads (a group's artifacts are for its members).") var key: String?
        @Option(help: "Start after this height instead of the one in sync.json.") var afterHeight: UInt64?
        @Option(help: "Seconds to wait for artifacts the node is still fetching from peers.") var timeout: Double = 120

        struct State: Codable { var group: String; var lastHeight: UInt64 }

        func run() async throws {
            try await runCommand {
                guard group.utf8.count == 64, let groupID = Hash(hex: group) else {
                    throw CLIError(Exit.invalidInput, "group ID \(group) is not 64 hex digits")
                }
                let dir = (out as NSString).expandingTildeInPath
                let fm = FileManager.default
                for sub in ["", "/claims", "/artifacts"] {
                    try fm.createDirectory(atPath: dir + sub, withIntermediateDirectories: true)
                }
                let statePath = dir + "/sync.json"
                var previous: UInt64 = 0
                if let data = fm.contents(atPath: statePath) {
                    guard let s = try? JSONDecoder().decode(State.self, from: data) else { throw CLIError(Exit.invalidInput, "\(statePath) is not a sync state") }
                    guard s.group == groupID.hex else { throw CLIError(Exit.invalidInput, "\(dir) holds group \(s.group), not \(groupID.hex)") }
                    previous = s.lastHeight
                }
                let after = afterHeight ?? previous
                let client = node.client
                let status = try await client.get("/api/v1/status", as: API.StatusView.self)
                let signer = try key.map { try unlockKey(keys.path(for: $0)) }

                let info = try await client.get("/api/v1/groups/\(groupID.hex)", as: API.GroupView.self)
                var members: [API.MemberView] = []
                var cursor: String?
                repeat {
                    let page = try await client.get("/api/v1/groups/\(groupID.hex)/members?limit=500" + (cursor.map { "&cursor=\($0)" } ?? ""),
                                                    as: API.ListView<API.MemberView>.self)
                    members += page.items
                    cursor = page.nextCursor
                } while cursor != nil
                try write(info, to: dir + "/group.json")
                try write(members, to: dir + "/members.json")

                var claims = 0, newClaims = 0, fetched = 0, present = 0
                var lastHeight = max(after, status.height)
                cursor = nil
                repeat {
                    let path = "/api/v1/groups/\(groupID.hex)/claims?limit=500&afterHeight=\(after)" + (cursor.map { "&cursor=\($0)" } ?? "")
                    let page = try await client.get(path, as: API.ListView<API.ClaimView>.self)
                    for claim in page.items {
                        claims += 1
                        lastHeight = max(lastHeight, claim.height)
                        for artifact in claim.artifacts {
                            guard let sha = Hash(hex: artifact.sha256) else { continue }
                            let target = dir + "/artifacts/" + sha.hex
                            if fm.fileExists(atPath: target) { present += 1; continue }
                            try await fetchArtifact(sha, to: target, signer: signer, chainID: status.chainID)
                            fetched += 1
                        }
                        // After its artifacts: a claim file on disk means the claim is complete.
                        let file = dir + "/claims/\(claim.id).json"
                        if !fm.fileExists(atPath: file) { newClaims += 1 }
                        try write(claim, to: file)
                    }
                    cursor = page.nextCursor
                } while cursor != nil
                try write(State(group: groupID.hex, lastHeight: lastHeight), to: statePath)
                print("group \(info.name) (\(groupID.hex)): \(claims) claims after height \(after) (\(newClaims) new), " +
                      "\(fetched) artifacts fetched, \(present) already here; synced to height \(lastHeight)")
            }
        }

        /// Downloads one artifact; while the node answers 404 (it is still fetching it from its
        /// peers) tries again with backoff until `timeout`.
        func fetchArtifact(_ sha: Hash, to target: String, signer: SigningKey?, chainID: String) async throws {
            let deadline = Date().addingTimeInterval(timeout)
            var delay = 0.2
            while true {
                let auth = signer.map { ArtifactRequestSignature.header(key: $0, action: .read, chainID: chainID, sha256: sha, size: 0) }
                do {
                    try await downloadVerified(node: node.url, sha, auth: auth, to: target)
                    return
                } catch let e as CLIError where e.message.hasPrefix("404 ") && Date() < deadline {
                    try await Task.sleep(for: .milliseconds(Int(delay * 1000)))
                    delay = min(delay * 2, 5)
                }
            }
        }

        func write<T: Encodable>(_ value: T, to path: String) throws {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let temp = path + ".tmp"
            try encoder.encode(value).write(to: URL(fileURLWithPath: temp))
            guard rename(temp, path) == 0 else { throw CLIError(Exit.failed, "cannot write \(path): errno \(errno)") }
        }
    }
}
