import AgoraAPI
import AgoraAPIModels
import AgoraClient
import AgoraCore
import AgoraState
import AgoraCrypto
import AgoraLedger
import AgoraNode
import AgoraStorage
import ArgumentParser
import Crypto
import Foundation

/// `agora market offer|buy|deliver|dispute|cancel` and `agora query offers|offer|purchases|purchase`:
/// the market module from the command line. `offer` encrypts a file under a fresh content key,
/// uploads the ciphertext, keeps the key in a local file and submits the offer; `buy --wait`
/// does the buyer's whole side — a fresh one-time X25519 key, the escrow, waiting for the
/// delivery, opening it, checking it against the offer's commitment, downloading and decrypting
/// the artifact and verifying its plaintext hash — and disputes on its own when the delivered key
/// is wrong. Secrets (content keys, one-time private keys) are written as hex files, mode 0600,
/// before the transaction that makes them matter is sent, so a crash never loses one.
struct MarketCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "market", abstract: "Sell and buy encrypted artifacts with escrow, sealed key delivery and disputes.",
        subcommands: [Offer.self, Buy.self, Receive.self, Deliver.self, Dispute.self, Cancel.self])

    struct Offer: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Encrypt FILE, upload the ciphertext and offer it. Prints the offer ID and where the content key was saved.")
        @OptionGroup var options: TxOptions
        @Option(help: "The file to sell.") var file: String
        @Option(help: "Price in base units (at least 1).") var price: UInt64
        @Option(help: "Bond locked while the offer lives; a buyer who proves a wrong key receives it.") var bond: UInt64 = 0
        @Option(help: "Title shown to buyers (default: the file name).") var title: String?
        @Option(help: "Offer expiry, in ms of block time from the current head.") var expiresInMs: UInt64 = 7 * 24 * 3_600_000
        @Option(help: "Time to deliver after each purchase (ms, 1000 to 30 days).") var deliveryWindowMs: UInt64 = 3_600_000
        @Option(help: "Time a buyer has to dispute after delivery (ms, 1000 to 30 days).") var disputeWindowMs: UInt64 = 3_600_000
        @Option(help: "Only members of this group may buy (64 hex digits).") var group: String?
        @Option(help: "Pay a royalty to the sources of this claim (64 hex digits; the file's plaintext or ciphertext must be attached to it).")
        var royaltyClaim: String?
        @Option(help: "The royalty: basis points of each sale's proceeds after the fee (1-\(MarketBounds.maxRoyaltyBps)).") var royaltyBps: UInt16?
        @Option(help: "Where to save the content key (default: offer-<id>.content-key next to the seller key).") var contentKeyOut: String?

        func run() async throws {
            try await runCommand {
                guard let priceAmount = Amount(price), priceAmount > .zero else { throw CLIError(Exit.invalidInput, "--price must be 1…2^63-1") }
                guard let bondAmount = Amount(bond) else { throw CLIError(Exit.invalidInput, "--bond is above 2^63-1") }
                for (flag, ms) in [("--delivery-window-ms", deliveryWindowMs), ("--dispute-window-ms", disputeWindowMs)] where !OfferTerms.isValidWindow(ms) {
                    throw CLIError(Exit.invalidInput, "\(flag) must be \(MarketBounds.minWindowMs)…\(MarketBounds.maxWindowMs)")
                }
                let name = title ?? (file as NSString).lastPathComponent
                guard OfferTerms.isValidTitle(name) else {
                    throw CLIError(Exit.invalidInput, "--title must be at most \(MarketBounds.maxTitleBytes) bytes without control characters")
                }
                let groupID = try group.map { try marketID($0, "group") }
                var royalty: Royalty?
                switch (royaltyClaim, royaltyBps) {
                case (nil, nil): break
                case let (claim?, bps?):
                    guard (1...MarketBounds.maxRoyaltyBps).contains(bps) else {
                        throw CLIError(Exit.invalidInput, "--royalty-bps must be 1…\(MarketBounds.maxRoyaltyBps)")
                    }
                    royalty = Royalty(claim: try marketID(claim, "claim"), bps: bps)
                default: throw CLIError(Exit.invalidInput, "--royalty-claim and --royalty-bps go together")
                }
                let signer = try unlockKey(options.keys.path(for: options.key))
                let client = options.node.client
                let status = try await client.get("/api/v1/status", as: API.StatusView.self)
                let (expiresAt, overflow) = status.headTime.addingReportingOverflow(expiresInMs)
                guard !overflow else { throw CLIError(Exit.invalidInput, "--expires-in-ms is too large") }

                let contentKey = ContentCipher.newKey()
                let encrypted = try encryptFile(file, key: contentKey)
                defer { try? FileManager.default.removeItem(atPath: encrypted.path) }
                var uploader = ArtifactClient(base: options.node.url)
                uploader.authorization = { sha, size in
                    ArtifactRequestSignature.header(key: signer, action: .upload, chainID: status.chainID, sha256: sha, size: size)
                }
                let source = try await mapped { try FileSource(path: encrypted.path) }
                _ = try await mapped { try await uploader.upload(source, sha256: encrypted.ciphertext.sha256) }

                // The nonce names the offer: fix it first so the key is saved under the right ID
                // before the offer exists.
                var tx = options
                if tx.nonce == nil { tx.nonce = try await client.get("/api/v1/accounts/\(signer.address)", as: API.AccountView.self).nextNonce }
                let offerID = LedgerID.offer(seller: signer.address, nonce: tx.nonce!)
                let keyPath = contentKeyOut ?? siblingPath(of: options.keys.path(for: options.key), "offer-\(offerID.hex).content-key")
                try writeSecret(contentKey, to: keyPath)
                let terms = OfferTerms(title: name, artifact: encrypted.ciphertext, plaintextSHA256: encrypted.plaintextSHA256,
                                       keyCommitment: MarketSeal.commitment(contentKey: contentKey), price: priceAmount, bond: bondAmount,
                                       expiresAt: expiresAt, deliveryWindowMs: deliveryWindowMs,
                                       disputeWindowMs: disputeWindowMs, group: groupID, royalty: royalty)
                try await submit(.createOffer(terms), options: tx)
                print("offer \(offerID.hex)")
                print("content key \(keyPath)")
            }
        }
    }

    struct Buy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Buy an offer: escrow the price with a fresh one-time key. With --wait and --out, also wait for the delivery, check it, dispute a wrong key, and write the verified artifact to --out.",
            discussion: "With --wait but no --out, buy waits only until the escrow is committed; `agora market receive` does the rest once the seller delivered.")
        @OptionGroup var options: TxOptions
        @Argument(help: "Offer ID (64 hex digits).") var offer: String
        @Option(help: "Where to write the decrypted artifact (only once it verified); with --wait, buy waits for the delivery.") var out: String?
        @Option(help: "Where to save the one-time private key (default: purchase-<id>.x25519 next to the buyer key).") var ephemeralOut: String?

        func run() async throws {
            try await runCommand {
                let started = Date()
                let offerID = try marketID(offer, "offer")
                let client = options.node.client
                let view = try await client.get("/api/v1/market/offers/\(offerID.hex)", as: API.OfferView.self)
                guard view.status == "open" else { throw CLIError(Exit.failed, "offer \(offerID.hex) is \(view.status)") }
                let signer = try unlockKey(options.keys.path(for: options.key))
                var tx = options
                if tx.nonce == nil { tx.nonce = try await client.get("/api/v1/accounts/\(signer.address)", as: API.AccountView.self).nextNonce }
                let purchaseID = LedgerID.purchase(buyer: signer.address, nonce: tx.nonce!)
                let (secret, publicKey) = MarketSeal.newBuyerKey()
                let secretPath = ephemeralOut ?? siblingPath(of: options.keys.path(for: options.key), "purchase-\(purchaseID.hex).x25519")
                try writeSecret(secret.bytes, to: secretPath)
                try await submit(.buyOffer(offer: offerID, buyerKey: publicKey), options: tx)
                print("purchase \(purchaseID.hex)")
                print("one-time key \(secretPath)")
                guard options.wait, let out else {
                    if options.wait { print("receive with: \(runningExecutable) market receive \(purchaseID.hex) --key \(options.key) --ephemeral \(secretPath) --out FILE") }
                    return
                }
                let remaining = max(1, options.timeout - Date().timeIntervalSince(started))
                try await receive(purchaseID, secret: secret, out: out, options: tx, timeout: remaining)
            }
        }
    }

    struct Receive: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Wait for a purchase's delivery, check it, dispute a wrong key, and write the verified artifact to --out.")
        @OptionGroup var options: TxOptions
        @Argument(help: "Purchase ID (64 hex digits).") var purchase: String
        @Option(help: "The purchase's one-time private key file (written by market buy; a relative path is looked up in the current directory, then beside the key).") var ephemeral: String
        @Option(help: "Where to write the decrypted artifact (only once it verified).") var out: String

        func run() async throws {
            try await runCommand {
                let secret = Bytes32(try readSecret(try SecretFile.locate(ephemeral, option: "--ephemeral", besideKey: options.keys.path(for: options.key))))
                try await receive(try marketID(purchase, "purchase"), secret: secret, out: out, options: options, timeout: options.timeout)
            }
        }
    }

    struct Deliver: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Seal the content key to a purchase's one-time key and deliver it (seller).")
        @OptionGroup var options: TxOptions
        @Argument(help: "Purchase ID (64 hex digits).") var purchase: String
        @Option(help: "The content key file (written by market offer; a relative path is looked up in the current directory, then beside the key).") var contentKey: String

        func run() async throws {
            try await runCommand {
                let purchaseID = try marketID(purchase, "purchase")
                let key = try readSecret(try SecretFile.locate(contentKey, option: "--content-key", besideKey: options.keys.path(for: options.key)))
                let client = options.node.client
                let p = try await client.get("/api/v1/market/purchases/\(purchaseID.hex)", as: API.PurchaseView.self)
                guard p.status == "awaiting_delivery" else { throw CLIError(Exit.failed, "purchase \(purchaseID.hex) is \(p.status)") }
                let o = try await client.get("/api/v1/market/offers/\(p.offer)", as: API.OfferView.self)
                if MarketSeal.commitment(contentKey: key).hex != o.keyCommitment {
                    // Not refused: the chain is what judges a delivery. Say what will happen.
                    FileHandle.standardError.write(Data("warning: this key does not match the offer's commitment; the buyer can prove it and take the bond\n".utf8))
                }
                guard let buyerKey = Hash(hex: p.buyerKey)?.storage else { throw CLIError(Exit.failed, "node returned a malformed buyer key") }
                try await submit(options: options) { chainID, _ in
                    .deliverKey(purchase: purchaseID, sealed: try MarketSeal.seal(contentKey: key, to: buyerKey, chainID: chainID, purchase: purchaseID))
                }
            }
        }
    }

    struct Dispute: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Reveal a purchase's one-time private key so the chain checks the delivered key; refunds and slashes if it is wrong (buyer).")
        @OptionGroup var options: TxOptions
        @Argument(help: "Purchase ID (64 hex digits).") var purchase: String
        @Option(help: "The purchase's one-time private key file (written by market buy; a relative path is looked up in the current directory, then beside the key).") var ephemeral: String

        func run() async throws {
            try await runCommand {
                let file = try SecretFile.locate(ephemeral, option: "--ephemeral", besideKey: options.keys.path(for: options.key))
                try await submit(.disputePurchase(purchase: try marketID(purchase, "purchase"), buyerSecret: Bytes32(try readSecret(file))),
                                 options: options)
            }
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Close an offer and take back its bond (seller; no purchase may be open).")
        @OptionGroup var options: TxOptions
        @Argument(help: "Offer ID (64 hex digits).") var offer: String

        func run() async throws {
            try await runCommand { try await submit(.cancelOffer(offer: try marketID(offer, "offer")), options: options) }
        }
    }
}

/// The buyer's side after the escrow: wait for the delivery, open it, check the commitment
/// (dispute and fail if wrong), download and decrypt, verify the plaintext hash, then write `out`.
private func receive(_ purchaseID: Hash, secret: Bytes32, out: String, options: TxOptions, timeout: Double) async throws {
    let client = options.node.client
    let deadline = Date().addingTimeInterval(timeout)
    var purchase = try await client.get("/api/v1/market/purchases/\(purchaseID.hex)", as: API.PurchaseView.self)
    while purchase.status == "awaiting_delivery" {
        guard Date() < deadline else {
            throw CLIError(Exit.timedOut, "no delivery for purchase \(purchaseID.hex) after \(Int(timeout)) s; if the seller misses the deadline (\(isoTime(ms: purchase.dueAt)) block time) the price is refunded automatically")
        }
        try await Task.sleep(for: .milliseconds(300))
        purchase = try await client.get("/api/v1/market/purchases/\(purchaseID.hex)", as: API.PurchaseView.self)
    }
    guard let delivery = purchase.delivery else {
        throw CLIError(Exit.failed, "purchase \(purchaseID.hex) is \(purchase.status) without a delivery (the seller missed the deadline; the price was refunded)")
    }
    let offer = try await client.get("/api/v1/market/offers/\(purchase.offer)", as: API.OfferView.self)
    let status = try await client.get("/api/v1/status", as: API.StatusView.self)
    guard let enc = Hash(hex: delivery.encapsulatedKey)?.storage, let box = Hex.decode(delivery.ciphertext),
          box.count == SealedContentKey.ciphertextBytes
    else { throw CLIError(Exit.failed, "node returned a malformed delivery") }
    let sealed = SealedContentKey(encapsulatedKey: enc, ciphertext: box)
    // Exactly the check the chain makes on a dispute.
    let key = MarketSeal.open(sealed, privateKey: secret, chainID: status.chainID, purchase: purchaseID)
    guard let key, key.count == 32, MarketSeal.commitment(contentKey: key).hex == offer.keyCommitment else {
        if purchase.status == "delivered" {
            var dispute = options
            dispute.nonce = nil
            dispute.wait = true
            FileHandle.standardError.write(Data("the delivered key does not match the offer's commitment: disputing\n".utf8))
            try await submit(.disputePurchase(purchase: purchaseID, buyerSecret: secret), options: dispute)
            throw CLIError(Exit.failed, "seller delivered a wrong key for purchase \(purchaseID.hex); dispute committed: price refunded and bond slashed to the buyer")
        }
        throw CLIError(Exit.failed, "the delivered key does not match the offer's commitment (purchase is \(purchase.status))")
    }
    guard let cipherHash = Hash(hex: offer.artifact.sha256), let plainHash = Hash(hex: offer.plaintextSHA256) else {
        throw CLIError(Exit.failed, "node returned a malformed offer")
    }
    try await downloadAndDecrypt(cipherHash, plaintextSHA256: plainHash, key: key, out: out, node: options.node.url)
    print("wrote \(out) (sha256 \(plainHash.hex), verified)")
}

/// Downloads the ciphertext (verified against its hash), decrypts it chunk by chunk into a temp
/// file beside `out` while hashing, and renames it into place only if the plaintext hash matches.
private func downloadAndDecrypt(_ cipherHash: Hash, plaintextSHA256: Hash, key: [UInt8], out: String, node: String) async throws {
    let target = (out as NSString).expandingTildeInPath
    let directory = ArtifactLayout.parentDirectory(of: target)
    let cipherPath = directory + "/." + (target as NSString).lastPathComponent + "." + ArtifactLayout.randomName() + ".enc"
    let cipherWriter = try ArtifactWriter(tempPath: cipherPath, expectedHash: cipherHash, expectedSize: nil, maxBytes: Int64.max)
    defer { cipherWriter.discard() }
    do {
        try await mapped {
            try await ArtifactClient(base: node).download(cipherHash, auth: nil) { data in try data.withUnsafeBytes { try cipherWriter.write($0) } }
        }
        _ = try cipherWriter.finish()
    } catch let e as ArtifactError { throw CLIError(Exit.failed, "ciphertext \(cipherHash.hex): \(e)") }
    let plainWriter = try ArtifactWriter(tempPath: directory + "/." + (target as NSString).lastPathComponent + "." + ArtifactLayout.randomName() + ".part",
                                         expectedHash: plaintextSHA256, expectedSize: nil, maxBytes: Int64.max)
    do {
        guard let input = FileHandle(forReadingAtPath: cipherPath) else { throw CLIError(Exit.failed, "cannot reopen \(cipherPath)") }
        defer { try? input.close() }
        try ContentCipher.decrypt(key: key, read: { try readFully(input, $0) }, write: { data in try data.withUnsafeBytes { try plainWriter.write($0) } })
        _ = try plainWriter.finish()
        try plainWriter.move(to: target)
    } catch {
        plainWriter.discard()
        if let e = error as? ArtifactError { throw CLIError(Exit.failed, "decrypted artifact does not verify: \(e)") }
        if let e = error as? ContentCipher.Failure { throw CLIError(Exit.failed, "decryption failed: \(e)") }
        throw error
    }
}

private struct EncryptedFile {
    var path: String
    var ciphertext: ArtifactRef
    var plaintextSHA256: Hash
}

/// Encrypts `path` into a temporary file, hashing plaintext and ciphertext on the way.
private func encryptFile(_ path: String, key: [UInt8]) throws -> EncryptedFile {
    guard let input = FileHandle(forReadingAtPath: path) else { throw CLIError(Exit.invalidInput, "cannot read \(path)") }
    defer { try? input.close() }
    let temp = NSTemporaryDirectory() + "agora-offer-" + ArtifactLayout.randomName() + ".enc"
    guard FileManager.default.createFile(atPath: temp, contents: nil, attributes: [.posixPermissions: 0o600]),
          let output = FileHandle(forWritingAtPath: temp)
    else { throw CLIError(Exit.invalidInput, "cannot create \(temp)") }
    defer { try? output.close() }
    var plainHash = SHA256()
    var cipherHash = SHA256()
    var size: UInt64 = 0
    try ContentCipher.encrypt(key: key, read: { n in
        let chunk = try readFully(input, n)
        plainHash.update(data: chunk)
        return chunk
    }, write: { data in
        cipherHash.update(data: data)
        size += UInt64(data.count)
        try output.write(contentsOf: data)
    })
    guard size <= Limits.maxArtifactBytes else { throw CLIError(Exit.invalidInput, "\(path) is larger than an artifact may be") }
    return EncryptedFile(path: temp, ciphertext: ArtifactRef(sha256: Hash(bytes: Array(cipherHash.finalize()))!, size: size),
                         plaintextSHA256: Hash(bytes: Array(plainHash.finalize()))!)
}

/// Up to `count` bytes; fewer only at the end of the file.
private func readFully(_ handle: FileHandle, _ count: Int) throws -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(count)
    while out.count < count, let data = try handle.read(upToCount: count - out.count), !data.isEmpty {
        out.append(contentsOf: data)
    }
    return out
}

private func siblingPath(of file: String, _ name: String) -> String {
    ArtifactLayout.parentDirectory(of: (file as NSString).expandingTildeInPath) + "/" + name
}

/// Writes a 32-byte secret as hex, mode 0600, through a temp file and a rename.
private func writeSecret(_ bytes: [UInt8], to path: String) throws {
    let temp = path + "." + ArtifactLayout.randomName() + ".tmp"
    guard FileManager.default.createFile(atPath: temp, contents: Data((Hex.encode(bytes) + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
        throw CLIError(Exit.invalidInput, "cannot write \(path)")
    }
    guard rename(temp, path) == 0 else {
        try? FileManager.default.removeItem(atPath: temp)
        throw CLIError(Exit.invalidInput, "cannot write \(path)")
    }
}

private func readSecret(_ path: String) throws -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: (path as NSString).expandingTildeInPath) else {
        throw CLIError(Exit.invalidInput, "cannot read \(path)")
    }
    let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    guard let bytes = Hex.decode(text), bytes.count == 32 else { throw CLIError(Exit.invalidInput, "\(path) does not hold 32 bytes of hex") }
    return bytes
}

private func marketID(_ text: String, _ what: String) throws -> Hash {
    guard let id = Hash(hex: text) else { throw CLIError(Exit.invalidInput, "\(what) ID \(text) is not 64 hex digits") }
    return id
}

extension Query {
    struct OffersQuery: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "offers", abstract: "Market offers in ID order, all or one seller's.")
        @OptionGroup var node: NodeOption
        @Option(help: "Only this seller's offers (ag1… address).") var seller: String?
        @Option(help: "nextCursor of the previous page.") var cursor: String = ""
        @Option(help: "Page size (1-500).") var limit: Int = 50

        func run() async throws {
            try await runCommand {
                var path = "/api/v1/market/offers?limit=\(limit)&cursor=\(cursor)"
                if let seller {
                    path += "&seller=\(try addressArgument(seller, "--seller"))"
                }
                printJSON(try await node.client.get(path, as: API.ListView<API.OfferView>.self))
            }
        }
    }

    struct OfferQuery: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "offer", abstract: "A market offer by ID.")
        @OptionGroup var node: NodeOption
        @OptionGroup var verification: VerifyOptions
        @Argument(help: "Offer ID (64 hex digits).") var id: String

        func run() async throws {
            try await runCommand {
                let oid = try marketID(id, "offer")
                try await queryRecord(node, verification, path: "/api/v1/market/offers/\(oid.hex)", key: MarketKeys.offer(oid), as: API.OfferView.self,
                                      proof: \.proof, withoutProof: { var v = $0; v.proof = nil; return v },
                                      proven: { v, value in try provenFields(v) { () throws(ProvenRecordFields.Refusal) in try ProvenRecordFields.offer(v, id: oid, value: value) } })
            }
        }
    }

    struct PurchasesQuery: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "purchases", abstract: "A buyer's or a seller's purchases (name one).")
        @OptionGroup var node: NodeOption
        @Option(help: "The buyer's ag1… address.") var buyer: String?
        @Option(help: "The seller's ag1… address.") var seller: String?
        @Option(help: "nextCursor of the previous page.") var cursor: String = ""
        @Option(help: "Page size (1-500).") var limit: Int = 50

        func run() async throws {
            try await runCommand {
                let path: String
                switch (buyer, seller) {
                case let (b?, nil): path = "buyers/\(try addressArgument(b, "--buyer"))"
                case let (nil, s?): path = "sellers/\(try addressArgument(s, "--seller"))"
                default: throw CLIError(Exit.invalidInput, "name exactly one of --buyer or --seller")
                }
                printJSON(try await node.client.get("/api/v1/market/\(path)/purchases?limit=\(limit)&cursor=\(cursor)",
                                                    as: API.ListView<API.PurchaseView>.self))
            }
        }
    }

    struct PurchaseQuery: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "purchase", abstract: "A market purchase by ID.")
        @OptionGroup var node: NodeOption
        @Argument(help: "Purchase ID (64 hex digits).") var id: String

        func run() async throws {
            try await runCommand {
                printJSON(try await node.client.get("/api/v1/market/purchases/\(try marketID(id, "purchase").hex)", as: API.PurchaseView.self))
            }
        }
    }
}
