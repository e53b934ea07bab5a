import Foundation
import Testing

/// One node per data directory, and listeners that cannot bind (issue 12, item 8): a second
/// `agora dev`/`agora start` on a running node's directory is refused before it opens anything;
/// the lock goes with the process, however it ends; a busy port is named; `agora dev` without
/// `--data-dir` leaves no temporary directory behind when it cannot start.
@Suite("Data directory lock and bind errors", .serialized)
struct DataDirectoryLockTests {
    @Test("a second node on a running node's data directory is refused at once with exit 2, naming the directory and PID")
    func secondProcessIsRefusedUntilTheFirstIsGone() async throws {
        let dir = try temporaryDirectory("lock")
        let data = dir + "/data"
        let first = try AgoraProcess(["dev", "--data-dir", data, "--http", "127.0.0.1:0"], logDir: dir)
        _ = try await first.apiURL()
        // The sign-state files by name: the running node itself writes `journal.bin` and
        // `*.tmp` files at its votes, so their presence at one instant is timing, not the
        // refused processes' doing.
        func signStateFiles() throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: data + "/consensus")
                .filter { $0.hasPrefix("sign-state-") && !$0.hasSuffix(".tmp") }.sorted()
        }
        // The first signature may come just after the API listens: wait for it.
        var signState = try signStateFiles()
        let signed = Date().addingTimeInterval(60)
        while signState.isEmpty, Date() < signed {
            try await Task.sleep(for: .milliseconds(50))
            signState = try signStateFiles()
        }
        let pid = first.process.processIdentifier

        for command in [["dev", "--data-dir", data, "--http", "127.0.0.1:0"], ["start", "--data-dir", data, "--http", "127.0.0.1:0"]] {
            let started = Date()
            let (code, _, stderr) = try await AgoraProcess.run(command, logDir: dir, timeout: 30)
            #expect(code == 2, "\(command[0]): exit \(code), \(stderr)")
            #expect(stderr.contains("data directory \(data) is in use by another agora process (PID \(pid))"), "\(command[0]): \(stderr)")
            #expect(!stderr.contains("sign state"), "\(command[0]) reached the signing guard: \(stderr)")
            #expect(Date().timeIntervalSince(started) < 10, "\(command[0]) was not refused at once")
        }
        let after = try signStateFiles()
        #expect(after == signState, "\(signState) → \(after)")
        #expect(first.isRunning, "the first node must be untouched")

        // A clean exit releases the lock…
        first.signal(SIGTERM)
        #expect(try await first.wait() == 0)
        let second = try AgoraProcess(["dev", "--data-dir", data, "--http", "127.0.0.1:0"], logDir: dir)
        _ = try await second.apiURL()
        // …and so does SIGKILL: the kernel drops the lock with the process, nothing goes stale.
        second.signal(SIGKILL)
        #expect(try await second.wait() != 0)
        let third = try AgoraProcess(["start", "--data-dir", data, "--http", "127.0.0.1:0"], logDir: dir)
        _ = try await third.apiURL()
        third.signal(SIGTERM)
        #expect(try await third.wait() == 0)
    }

    @Test("a busy API or P2P port is named in the error; dev without --data-dir removes the temporary directory it made")
    func busyPortsAreNamed() async throws {
        let dir = try temporaryDirectory("bind")
        let running = try AgoraProcess(["dev", "--data-dir", dir + "/running", "--http", "127.0.0.1:0", "--p2p", "127.0.0.1:0"], logDir: dir)
        let api = try await running.apiURL().replacingOccurrences(of: "http://", with: "")
        let p2p = try await running.p2pAddress()
        defer { running.signal(SIGKILL) }

        let tmp = dir + "/tmp"
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        let (code, _, stderr) = try await AgoraProcess.run(["dev", "--http", api], environment: ["TMPDIR": tmp], logDir: dir)
        #expect(code == 2, "exit \(code): \(stderr)")
        #expect(stderr.contains("error: cannot bind the API to \(api): address already in use"), "\(stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp).isEmpty, "a temporary data directory was left behind")

        let (p2pCode, _, p2pErr) = try await AgoraProcess.run(
            ["dev", "--data-dir", dir + "/other", "--http", "127.0.0.1:0", "--p2p", p2p], logDir: dir)
        #expect(p2pCode == 2, "exit \(p2pCode): \(p2pErr)")
        #expect(p2pErr.contains("error: cannot bind P2P to \(p2p): address already in use"), "\(p2pErr)")
        running.signal(SIGTERM)
        #expect(try await running.wait() == 0)
    }
}
