import AgoraNode
import AgoraSimulation
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The integration tests' real `agora` processes: `NodeProcess` from AgoraSimulation (the same one
/// `agora simulate network` uses), started from the binary this test build produced.
typealias AgoraProcess = NodeProcess

extension NodeProcess {
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

    convenience init(_ arguments: [String], environment: [String: String] = [:], logDir: String) throws {
        try self.init(binary: NodeProcess.binary, arguments, environment: environment, logDir: logDir)
    }

    /// Runs a short CLI command to completion and returns (exit code, stdout, stderr).
    static func run(_ arguments: [String], environment: [String: String] = [:], logDir: String,
                    timeout: Double = 120) async throws -> (Int32, String, String) {
        let p = try NodeProcess(arguments, environment: environment, logDir: logDir)
        do {
            let code = try await p.wait(timeout: timeout)
            return (code, p.stdout, p.stderr)
        } catch {
            // A hang in CI is only diagnosable with what the process said before it.
            throw HarnessError.timeout("agora \(arguments.prefix(2).joined(separator: " ")): \(error)\n--- stdout (tail)\n" +
                                       "\(p.stdout.suffix(3_000))\n--- stderr (tail)\n\(p.stderr.suffix(3_000))")
        }
    }
}

enum HarnessError: Error, CustomStringConvertible {
    case timeout(String)
    case http(Int, String)

    var description: String {
        switch self {
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

    func text(_ path: String) async throws -> String {
        let (data, _) = try await URLSession.shared.data(for: URLRequest(url: URL(string: base + path)!))
        return String(decoding: data, as: UTF8.self)
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
