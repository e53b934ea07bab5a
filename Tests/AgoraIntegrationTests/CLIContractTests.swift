import AgoraAPI
import AgoraAPIModels
import AgoraCore
import AgoraNode
import AgoraSimulation
import Foundation
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// What a newcomer and a script rely on, against real `agora` processes: the exit-code table of
/// docs/operations.md row by row, one version everywhere, hints that run as printed, bare
/// `--out` file names, the market walked as README shows it, and docs/cli.md matching the parser.
@Suite("CLI contract", .serialized)
struct CLIContractTests {
    /// Runs `agora ARGS` with `directory` as its working directory (`env -C`), as a user in
    /// that directory would.
    static func run(in directory: String, _ arguments: [String], logDir: String) async throws -> (Int32, String, String) {
        let p = try NodeProcess(binary: "/usr/bin/env", ["-C", directory, AgoraProcess.binary] + arguments, logDir: logDir)
        let code = try await p.wait(timeout: 120)
        return (code, p.stdout, p.stderr)
    }

    @Test("every row of the exit-code table: 0 success, 1 refused or failed, 2 invalid input (parser usage errors too), 3 unreachable, 4 --wait timed out, 5 unverified")
    func exitCodeTable() async throws {
        let dir = try temporaryDirectory("exit-codes")
        let node = try AgoraProcess(["dev", "--data-dir", dir + "/data", "--http", "127.0.0.1:0", "--block-interval-ms", "100",
                                     "--log-level", "warning"], logDir: dir)
        let url = try await node.apiURL()
        let devKey = dir + "/data/keys/dev.json"
        let (_, newOut, _) = try await AgoraProcess.run(["keys", "new", "--name", "bob", "--keys", dir + "/keys"], logDir: dir)
        let bob = String(newOut.split(separator: "\n")[0])
        let transfer = ["tx", "transfer", "--node", url, "--key", devKey, "--to", bob]

        // 0
        #expect(try await AgoraProcess.run(["status", "--node", url], logDir: dir).0 == 0)
        #expect(try await AgoraProcess.run(transfer + ["--amount", "10", "--wait"], logDir: dir).0 == 0)
        // 1: refused at admission (a second faucet claim)
        let faucet = ["tx", "faucet", "--node", url, "--keys", dir + "/keys", "--key", "bob", "--wait"]
        #expect(try await AgoraProcess.run(faucet, logDir: dir).0 == 0)
        #expect(try await AgoraProcess.run(faucet, logDir: dir).0 == 1)
        // 2: the parser's usage errors and the commands' own checks alike
        let invalid: [([String], String)] = [
            (["status", "--node", url, "--bogus"], "--bogus"),                                   // unknown option
            (["tx", "transfer", "--node", url, "--to", bob, "--amount", "1"], "--key"),           // missing argument
            (["query", "tx", "--node", url], "<id>"),                                            // missing positional
            (transfer + ["--amount", "ten"], "ten"),                                             // bad value
            (transfer + ["--amount", "99999999999999999999"], "99999999999999999999"),           // above UInt64
            (transfer + ["--amount", "9223372036854775808"], "--amount"),                        // above 2^63-1
            (["tx", "transfr", "--key", "bob"], "transfr"),                                      // unknown subcommand
            (["status", "--node", "127.0.0.1:8645"], "127.0.0.1:8645"),                          // URL without a scheme
            (["status", "--node", "localhost:8645"], "localhost:8645"),
            (["tx", "faucet", "--node", url, "--key", dir + "/missing.json"], "missing.json"),   // key file
            (["start", "--data-dir", dir + "/none"], "agora init"),                              // data directory
        ]
        for (arguments, named) in invalid {
            let (code, _, err) = try await AgoraProcess.run(arguments, logDir: dir)
            #expect(code == 2, "agora \(arguments.joined(separator: " ")) exited \(code): \(err)")
            #expect(err.contains(named), "agora \(arguments.joined(separator: " ")): \(err)")
        }
        let (typo, _, typoErr) = try await AgoraProcess.run(["tx", "transfr", "--key", "bob"], logDir: dir)
        #expect(typo == 2 && typoErr.contains("unknown subcommand 'transfr'") && typoErr.contains("transfer"))
        #expect(!typoErr.contains("--key"))
        // 3
        #expect(try await AgoraProcess.run(["status", "--node", "http://127.0.0.1:1"], logDir: dir).0 == 3)
        // 4: a deadline that has passed before the first look
        let (late, _, lateErr) = try await AgoraProcess.run(transfer + ["--amount", "1", "--wait", "--timeout", "0"], logDir: dir)
        #expect(late == 4, "\(lateErr)")
        // 5: the light client refuses a trusted hash that is not block 1's; from the chain's
        // genesis the same head verifies (0).
        let verify = ["verify", "header", "latest", "--node", url]
        let (verified, _, verifiedErr) = try await AgoraProcess.run(verify + ["--genesis", dir + "/data/genesis.json"], logDir: dir)
        #expect(verified == 0, "\(verifiedErr)")
        let (unverified, _, unverifiedErr) = try await AgoraProcess.run(verify + ["--trust-height", "1", "--trust-hash", String(repeating: "ab", count: 32)],
                                                                       logDir: dir)
        #expect(unverified == 5 && unverifiedErr.hasPrefix("error: hash_mismatch:"), "\(unverifiedErr)")

        node.signal(SIGTERM)
        #expect(try await node.wait() == 0)
    }

    @Test("agora --version, the stdio MCP server, the node's status and the HTTP MCP server report one version")
    func oneVersion() async throws {
        let dir = try temporaryDirectory("version")
        let (code, out, _) = try await AgoraProcess.run(["--version"], logDir: dir)
        #expect(code == 0 && out.trimmingCharacters(in: .whitespacesAndNewlines) == AgoraVersion.current)

        let node = try AgoraProcess(["dev", "--data-dir", dir + "/data", "--http", "127.0.0.1:0", "--log-level", "warning"], logDir: dir)
        let url = try await node.apiURL()
        #expect(try await HTTP(base: url).get("/api/v1/status", as: API.StatusView.self).version == AgoraVersion.current)
        #expect(try await Self.httpMCPVersion(url) == AgoraVersion.current)
        #expect(try Self.stdioMCPVersion(url) == AgoraVersion.current)
        node.signal(SIGTERM)
        #expect(try await node.wait() == 0)
    }

    static let initialize = #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#

    static func serverVersion(_ json: Substring) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
              let result = object["result"] as? [String: Any], let info = result["serverInfo"] as? [String: Any] else { return nil }
        return info["version"] as? String
    }

    static func httpMCPVersion(_ url: String) async throws -> String? {
        var request = URLRequest(url: URL(string: url + "/mcp")!)
        request.httpMethod = "POST"
        request.httpBody = Data(initialize.utf8)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("application/json, text/event-stream", forHTTPHeaderField: "Accept")
        request.timeoutInterval = 10
        let (data, _) = try await URLSession.shared.data(for: request)
        let text = String(decoding: data, as: UTF8.self)
        // A JSON body, or server-sent events whose data line holds it.
        let json = text.split(separator: "\n").first { $0.hasPrefix("data: {") }.map { $0.dropFirst(6) } ?? Substring(text)
        return serverVersion(json)
    }

    static func stdioMCPVersion(_ url: String) throws -> String? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: AgoraProcess.binary)
        p.arguments = ["mcp", "--node", url]
        let input = Pipe(), output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer { p.terminate(); p.waitUntilExit() }
        input.fileHandleForWriting.write(Data((initialize + "\n").utf8))
        var buffer = Data()
        let deadline = Date().addingTimeInterval(30)
        while !buffer.contains(0x0a), Date() < deadline {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
        }
        let line = String(decoding: buffer, as: UTF8.self).split(separator: "\n").first ?? ""
        return serverVersion(line)
    }

    @Test("agora dev's try: hints name this executable by its absolute path and run as printed")
    func devHintsRun() async throws {
        let dir = try temporaryDirectory("dev-hints")
        let node = try AgoraProcess(["dev", "--data-dir", dir + "/data", "--http", "127.0.0.1:0", "--log-level", "warning"], logDir: dir)
        _ = try await node.apiURL()
        var hints: [String] = []
        for _ in 0..<50 where hints.count < 3 {
            hints = node.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0.hasPrefix("/") }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(hints.count == 3, "\(node.stdout)")
        let binary = URL(fileURLWithPath: AgoraProcess.binary).resolvingSymlinksInPath().path
        for hint in hints { #expect(hint.hasPrefix(binary + " "), "\(hint)") }
        let status = try #require(hints.first { $0.contains(" status ") })
        let words = status.split(separator: " ").map(String.init)
        let (code, out, err) = try await AgoraProcess.run(Array(words.dropFirst()), logDir: dir)
        #expect(code == 0 && out.contains("\"chainID\""), "\(err)")
        node.signal(SIGTERM)
        #expect(try await node.wait() == 0)
    }

    @Test("artifact get and the market, as README shows them: bare --out names, secret files found from another directory, ISO deadlines")
    func bareOutAndMarketWalk() async throws {
        let dir = try temporaryDirectory("bare-out")
        let work = dir + "/work"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let node = try AgoraProcess(["dev", "--data-dir", dir + "/data", "--http", "127.0.0.1:0", "--block-interval-ms", "100",
                                     "--log-level", "warning"], logDir: dir)
        let url = try await node.apiURL()
        let content = Data((0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        try content.write(to: URL(fileURLWithPath: work + "/model.bin"))
        let seller = ["--node", url, "--keys", dir + "/data/keys", "--key", "dev"]
        let buyer = ["--node", url, "--keys", dir + "/keys", "--key", "bob"]

        // artifact get --out NAME: the file in the working directory, exit 0.
        let (_, token, _) = try await Self.run(in: work, ["admin", "token", "create", "--data-dir", dir + "/data", "--name", "t"], logDir: dir)
        let (put, sha, putErr) = try await Self.run(in: work, ["artifact", "put", "model.bin", "--node", url, "--token",
                                                              token.trimmingCharacters(in: .whitespacesAndNewlines)], logDir: dir)
        #expect(put == 0, "\(putErr)")
        let (get, _, getErr) = try await Self.run(in: work, ["artifact", "get", sha.trimmingCharacters(in: .whitespacesAndNewlines),
                                                            "--out", "copy.bin", "--node", url], logDir: dir)
        #expect(get == 0, "\(getErr)")
        #expect(FileManager.default.contents(atPath: work + "/copy.bin") == content)

        // The market: fund bob, offer, buy (escrow only), deliver, receive into a bare name.
        let (_, newOut, _) = try await Self.run(in: work, ["keys", "new", "--name", "bob", "--keys", dir + "/keys"], logDir: dir)
        let bob = String(newOut.split(separator: "\n")[0])
        #expect(try await Self.run(in: work, ["tx", "transfer"] + seller + ["--to", bob, "--amount", "5000", "--wait"], logDir: dir).0 == 0)
        let (offered, offerOut, offerErr) = try await Self.run(in: work, ["market", "offer"] + seller + ["--file", "model.bin", "--price", "100", "--wait"],
                                                               logDir: dir)
        #expect(offered == 0, "\(offerErr)")
        let offer = try #require(Self.value(after: "offer ", in: offerOut))
        let (bought, buyOut, buyErr) = try await Self.run(in: work, ["market", "buy", offer] + buyer + ["--wait"], logDir: dir)
        #expect(bought == 0, "\(buyErr)")
        let purchase = try #require(Self.value(after: "purchase ", in: buyOut))
        #expect(buyOut.contains("agora market receive \(purchase)"))

        // Waiting for a delivery that has not come: exit 4, the deadline as ISO-8601 UTC.
        let (waited, _, waitErr) = try await Self.run(in: work, ["market", "receive", purchase] + buyer +
                                                      ["--ephemeral", "purchase-\(purchase).x25519", "--out", "bought.bin", "--timeout", "0.5"],
                                                      logDir: dir)
        #expect(waited == 4, "\(waitErr)")
        #expect(waitErr.range(of: #"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"#, options: .regularExpression) != nil, "\(waitErr)")

        // A content key that is nowhere: exit 2, naming both places tried.
        let (missing, _, missingErr) = try await Self.run(in: work, ["market", "deliver", purchase] + seller + ["--content-key", "nope.content-key"],
                                                          logDir: dir)
        #expect(missing == 2)
        #expect(missingErr.contains(work + "/nope.content-key") && missingErr.contains(dir + "/data/keys/nope.content-key"), "\(missingErr)")

        // The file names offer and buy printed, given from a directory that holds neither.
        let (delivered, _, deliverErr) = try await Self.run(in: work, ["market", "deliver", purchase] + seller +
                                                            ["--content-key", "offer-\(offer).content-key", "--wait"], logDir: dir)
        #expect(delivered == 0, "\(deliverErr)")
        let (received, _, receiveErr) = try await Self.run(in: work, ["market", "receive", purchase] + buyer +
                                                           ["--ephemeral", "purchase-\(purchase).x25519", "--out", "bought.bin"], logDir: dir)
        #expect(received == 0, "\(receiveErr)")
        #expect(FileManager.default.contents(atPath: work + "/bought.bin") == content)

        node.signal(SIGTERM)
        #expect(try await node.wait() == 0)
    }

    static func value(after prefix: String, in output: String) -> String? {
        output.split(separator: "\n").first { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
    }

    @Test("docs/cli.md is what `agora docs cli` prints now (regenerate: agora docs cli > docs/cli.md)")
    func cliReferenceIsCurrent() async throws {
        let dir = try temporaryDirectory("docs-cli")
        let (code, generated, err) = try await AgoraProcess.run(["docs", "cli"], logDir: dir)
        #expect(code == 0, "\(err)")
        let committed = try String(contentsOfFile: AgoraProcess.packageRoot + "/docs/cli.md", encoding: .utf8)
        #expect(generated == committed, "docs/cli.md is stale: run `agora docs cli > docs/cli.md`")
        #expect(generated.contains("## agora tx transfer") && generated.contains("## agora market receive"))
    }
}
