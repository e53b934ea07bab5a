import AgoraAPIModels
import AgoraClient
import AgoraCore
import AgoraCrypto
import Foundation

/// A program that uses a node the way an app would, through the `AgoraClient` library product
/// only (docs/swift-client.md): it opens a key file, sends a transfer and waits for it, creates a
/// group, publishes a claim in it and reads the claim back. Foundation and the library, nothing
/// platform-specific, so the same code builds for macOS and iOS.
///
///     AgoraClientExample http://127.0.0.1:8645 ~/.agora/keys/alice.json
///
/// An encrypted key file is opened with `AGORA_KEY_PASSWORD`.
@main
struct AgoraClientExample {
    static func main() async {
        let args = CommandLine.arguments
        guard args.count == 3 else {
            print("usage: AgoraClientExample NODE_URL KEY_FILE   (password of an encrypted key: AGORA_KEY_PASSWORD)")
            exit(2)
        }
        do {
            try await run(node: args[1], keyFile: args[2])
        } catch {
            print("error: \(error)")
            exit(1)
        }
    }

    static func run(node url: String, keyFile: String) async throws {
        let gateway = NodeGateway(base: url)
        let status = try await gateway.get("/api/v1/status", as: API.StatusView.self)
        print("chain \(status.chainID) at height \(status.height)")

        let key = try KeyFile.read(from: keyFile).unlock(password: ProcessInfo.processInfo.environment["AGORA_KEY_PASSWORD"])
        let sender = TransactionSender(key: key, gateway: gateway)
        let bob = SigningKey().address

        // Every transaction: build the payload, sign locally, submit, then wait for the commit.
        let transfer = try await sender.submit { _, _ in .transfer(to: bob, amount: Amount(5)!, memo: "hello from Swift") }
        let committed = try await sender.outcome(of: transfer.id)
        let account = try await gateway.get("/api/v1/accounts/\(bob)", as: API.AccountView.self)
        print("transfer \(transfer.id) committed at height \(committed.height ?? 0); \(bob) holds \(account.balance)")

        // What a transaction creates is named by its sender and nonce: known before it commits.
        let create = try await sender.submit { _, _ in .createGroup(name: "swift-example", policy: .none) }
        _ = try await sender.outcome(of: create.id)
        let group = LedgerID.group(creator: key.address, nonce: create.transaction.body.nonce)

        let content = ClaimContent(group: group, text: "published by AgoraClientExample", tags: try ClaimTags.normalize(["Swift"]),
                                   parent: nil, artifacts: [])
        let publish = try await sender.submit { _, _ in .publishClaim(content) }
        _ = try await sender.outcome(of: publish.id)
        let claimID = LedgerID.claim(author: key.address, nonce: publish.transaction.body.nonce)
        let claim = try await gateway.get("/api/v1/claims/\(claimID.hex)", as: API.ClaimView.self)
        print("claim \(claim.id) in group \(group.hex): \"\(claim.text)\" tags \(claim.tags)")
    }
}
