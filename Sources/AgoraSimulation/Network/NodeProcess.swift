import Foundation
import Synchronization

/// A real `agora` node process, for `agora simulate network` and the integration tests:
/// started with arguments, its output captured to files, its API and P2P addresses read from
/// the lines it prints, stopped with a signal of the caller's choice. A process still running
/// when this object goes away is killed, so no run leaves nodes behind.
public final class NodeProcess: @unchecked Sendable {
    public enum Failure: Error, CustomStringConvertible {
        case exited(Int32, String)
        case timeout(String)

        public var description: String {
            switch self {
            case let .exited(code, err): return "agora exited with \(code): \(err.suffix(2_000))"
            case let .timeout(what): return "timeout: \(what)"
            }
        }
    }

    public let process = Process()
    /// Every node process started here and not yet reaped, for `terminateAll`.
    private static let live = Mutex<Set<Int32>>([])
    public let stdoutPath: String
    public let stderrPath: String

    /// This executable, when it is `agora` (the simulator launches copies of itself).
    public static var currentExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    public init(binary: String, _ arguments: [String], environment: [String: String] = [:], logDir: String) throws {
        let tag = UUID().uuidString.prefix(8)
        stdoutPath = logDir + "/stdout-\(tag).log"
        stderrPath = logDir + "/stderr-\(tag).log"
        // A failure shows at the FileHandle opens below, which throw.
        _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let pid = process.processIdentifier
        NodeProcess.live.withLock { _ = $0.insert(pid) }
    }

    /// Kills every node process this process started: for a tool interrupted by a signal, so
    /// no nodes outlive it.
    public static func terminateAll() {
        for pid in live.withLock({ $0 }) { kill(pid, SIGKILL) }
    }

    /// Installs SIGINT/SIGTERM/SIGHUP handlers that kill the node processes and exit 130.
    public static func terminateAllOnSignal() {
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            _ = Glibc.signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                terminateAll()
                exit(130)
            }
            source.resume()
            signalSources.append(source)
        }
    }

    /// Kept alive for the process's lifetime; written only by `terminateAllOnSignal` at start-up.
    nonisolated(unsafe) private static var signalSources: [any DispatchSourceSignal] = []

    public var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    public var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }
    public var isRunning: Bool { process.isRunning }

    /// Waits for "API listening on http://HOST:PORT" and returns the base URL.
    public func apiURL(timeout: Double = 60) async throws -> String {
        try await printed("API listening on ", timeout: timeout)
    }

    /// Waits for "P2P listening on HOST:PORT" and returns HOST:PORT.
    public func p2pAddress(timeout: Double = 60) async throws -> String {
        try await printed("P2P listening on ", timeout: timeout)
    }

    /// The last word of the first stdout line containing `marker`.
    ///
    /// The file is read once more after the deadline passes: a poller starved by a loaded
    /// cooperative pool (a parallel `swift test` on two cores kept one asleep for over 60 s in
    /// CI on 2026-12-06) must not report a line as missing that the node printed long before.
    func printed(_ marker: String, timeout: Double) async throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let line = stdout.split(separator: "\n").first(where: { $0.contains(marker) }) {
                return String(line.split(separator: " ").last!)
            }
            if !process.isRunning { throw Failure.exited(process.terminationStatus, stderr) }
            guard Date() < deadline else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw Failure.timeout("node did not print \"\(marker)\"; stderr: \(stderr.suffix(2_000))")
    }

    public func signal(_ sig: Int32) { kill(process.processIdentifier, sig) }

    /// Waits for exit and returns the status. A process that overstays gets SIGTERM first — a
    /// simulator then kills the nodes it started, which SIGKILL would orphan — and SIGKILL
    /// five seconds later.
    @discardableResult
    public func wait(timeout: Double = 30) async throws -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline {
                signal(SIGTERM)
                let grace = Date().addingTimeInterval(5)
                while process.isRunning, Date() < grace { try? await Task.sleep(for: .milliseconds(20)) }
                if process.isRunning { signal(SIGKILL) }
                throw Failure.timeout("process did not exit within \(timeout) s")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return process.terminationStatus
    }

    deinit {
        let pid = process.processIdentifier
        if process.isRunning { kill(pid, SIGKILL) }
        NodeProcess.live.withLock { _ = $0.remove(pid) }
    }
}
