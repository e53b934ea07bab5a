import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A real `agora` process for integration tests: started with arguments, its output captured to
/// files, its API address read from the line it prints, stopped with a signal of our choice.
final class AgoraProcess: @unchecked Sendable {
    let process = Process()
    let stdoutPath: String
    let stderrPath: String

    static var binary: String {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("agora").path,
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("agora").path,
            packageRoot + "/.build/debug/agora",
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates.last!
    }

    static var packageRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    init(_ arguments: [String], environment: [String: String] = [:], logDir: String) throws {
        stdoutPath = logDir + "/stdout-\(UUID().uuidString).log"
        stderrPath = logDir + "/stderr-\(UUID().uuidString).log"
        FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: AgoraProcess.binary)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// Waits for "API listening on http://HOST:PORT" and returns the base URL.
    func apiURL(timeout: Double = 60) async throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let line = stdout.split(separator: "\n").first(where: { $0.contains("API listening on ") }) {
                return String(line.split(separator: " ").last!)
            }
            if !process.isRunning { throw HarnessError.exited(process.terminationStatus, stderr) }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw HarnessError.timeout("node did not print its API address; stderr: \(stderr)")
    }

    func signal(_ sig: Int32) { kill(process.processIdentifier, sig) }

    /// Waits for exit and returns the status; kills the process if it overstays.
    @discardableResult
    func wait(timeout: Double = 30) async throws -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline {
                signal(SIGKILL)
                throw HarnessError.timeout("process did not exit within \(timeout) s")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return process.terminationStatus
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

    /// Runs a short CLI command to completion and returns (exit code, stdout, stderr).
    static func run(_ arguments: [String], environment: [String: String] = [:], logDir: String,
                    timeout: Double = 120) async throws -> (Int32, String, String) {
        let p = try AgoraProcess(arguments, environment: environment, logDir: logDir)
        let code = try await p.wait(timeout: timeout)
        return (code, p.stdout, p.stderr)
    }
}

enum HarnessError: Error, CustomStringConvertible {
    case exited(Int32, String)
    case timeout(String)
    case http(Int, String)

    var description: String {
        switch self {
        case let .exited(code, err): return "agora exited with \(code): \(err)"
        case let .timeout(what): return "timeout: \(what)"
        case let .http(status, body): return "HTTP \(status): \(body)"
        }
    }
}

/// Minimal JSON-over-HTTP client for the tests.
struct HTTP {
    let base: String

    func get<T: Decodable>(_ path: String, as: T.Type) async throws -> T {
        try await send(URLRequest(url: URL(string: base + path)!), as: T.self)
    }

    func post<B: Encodable, T: Decodable>(_ path: String, _ body: B, as: T.Type) async throws -> T {
        var r = URLRequest(url: URL(string: base + path)!)
        r.httpMethod = "POST"
        r.httpBody = try JSONEncoder().encode(body)
        r.setValue("application/json", forHTTPHeaderField: "Content-Type")
        return try await send(r, as: T.self)
    }

    func status(_ path: String) async throws -> Int {
        let (_, response) = try await URLSession.shared.data(for: URLRequest(url: URL(string: base + path)!))
        return (response as? HTTPURLResponse)?.statusCode ?? 0
    }

    private func send<T: Decodable>(_ request: URLRequest, as: T.Type) async throws -> T {
        var request = request
        request.timeoutInterval = 10
        let (data, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard (200..<300).contains(status) else { throw HarnessError.http(status, String(decoding: data, as: UTF8.self)) }
        return try JSONDecoder().decode(T.self, from: data)
    }
}

func temporaryDirectory(_ name: String) throws -> String {
    let dir = NSTemporaryDirectory() + "agora-it-\(name)-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}
