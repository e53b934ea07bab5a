// ChaosSandbox owns the operating-system side of `agora simulate chaos`: one network namespace
// per node behind a bridge (so a partition is a pair of nft drop rules, not a proxy the nodes
// must be configured for), the small tmpfs that can be filled, and libfaketime for skewed
// clocks. It runs inside the private network and mount namespaces the command re-executes
// itself into, so nothing it creates is visible to — or collides with — the rest of the machine.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What the sandbox could not set up or change, with the command and its output.
public enum ChaosError: Error, CustomStringConvertible, Sendable {
    case command([String], status: Int32, output: String)
    case setup(String)
    case node(Int, String)

    public var description: String {
        switch self {
        case let .command(argv, status, output): return "`\(argv.joined(separator: " "))` exited \(status): \(output.suffix(600))"
        case let .setup(what): return "chaos setup failed: \(what)"
        case let .node(i, what): return "node\(i): \(what)"
        }
    }
}

/// Runs a command to its end; a non-zero exit is a `ChaosError.command` unless `allowFailure`.
@discardableResult
func runTool(_ argv: [String], allowFailure: Bool = false) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = argv
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    process.standardInput = FileHandle.nullDevice
    do { try process.run() } catch { throw ChaosError.setup("cannot run \(argv[0]): \(error)") }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let output = String(decoding: data, as: UTF8.self)
    if process.terminationStatus != 0, !allowFailure {
        throw ChaosError.command(argv, status: process.terminationStatus, output: output)
    }
    return (process.terminationStatus, output)
}

public final class ChaosSandbox: @unchecked Sendable {
    /// Namespaces and nft partitions (root in a private namespace), or everything on
    /// 127.0.0.1 with partitions and the small disk left out (anything else).
    public enum Mode: String, Sendable { case namespaces, loopback }

    public let mode: Mode
    public let nodes: Int
    /// libfaketime's library, when installed (`apt-get install faketime`).
    public let fakeTimeLibrary: String?
    static let subnet = "10.77.0"
    static let bridge = "agchaos0"

    public init(nodes: Int, mode: Mode) {
        self.nodes = nodes
        self.mode = mode
        fakeTimeLibrary = ["/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1", "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
                           "/usr/lib/faketime/libfaketime.so.1"].first { FileManager.default.fileExists(atPath: $0) }
    }

    func namespace(_ i: Int) -> String { "agchaos-n\(i)" }

    /// The address node `i` listens on, and the orchestrator's.
    public func host(_ i: Int) -> String { mode == .namespaces ? "\(ChaosSandbox.subnet).\(10 + i)" : "127.0.0.1" }
    public func httpAddress(_ i: Int) -> String { mode == .namespaces ? "\(host(i)):8645" : "127.0.0.1:\(18645 + i)" }
    public func p2pAddress(_ i: Int) -> String { mode == .namespaces ? "\(host(i)):26656" : "127.0.0.1:\(36656 + i)" }

    /// Loopback up, a bridge with the orchestrator's address, one namespace per node with a
    /// veth on the bridge and an empty nft table whose input chain the partitions fill.
    public func setUp() throws {
        try runTool(["ip", "link", "set", "lo", "up"])
        guard mode == .namespaces else { return }
        // `ip netns add` creates its files under /run/netns; a tmpfs there, in this private
        // mount namespace, keeps them off the machine's /run (a killed run leaves nothing).
        try runTool(["mkdir", "-p", "/run/netns"])
        try runTool(["mount", "-t", "tmpfs", "-o", "size=1m", "agchaos", "/run/netns"])
        try runTool(["ip", "link", "add", ChaosSandbox.bridge, "type", "bridge"])
        try runTool(["ip", "addr", "add", "\(ChaosSandbox.subnet).1/24", "dev", ChaosSandbox.bridge])
        try runTool(["ip", "link", "set", ChaosSandbox.bridge, "up"])
        for i in 0..<nodes {
            let ns = namespace(i)
            try runTool(["ip", "netns", "add", ns])
            try runTool(["ip", "link", "add", "agchv\(i)", "type", "veth", "peer", "name", "eth0", "netns", ns])
            try runTool(["ip", "link", "set", "agchv\(i)", "master", ChaosSandbox.bridge, "up"])
            try runTool(["ip", "netns", "exec", ns, "ip", "addr", "add", "\(host(i))/24", "dev", "eth0"])
            try runTool(["ip", "netns", "exec", ns, "ip", "link", "set", "eth0", "up"])
            try runTool(["ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"])
            try runTool(["ip", "netns", "exec", ns, "nft", "add", "table", "inet", "chaos"])
            try runTool(["ip", "netns", "exec", ns, "nft", "add", "chain", "inet", "chaos", "input",
                         "{ type filter hook input priority 0; policy accept; }"])
        }
    }

    /// Every node in `side` drops what comes from the others and they drop what comes from it;
    /// the orchestrator (load and checks) still reaches everyone.
    public func partition(side: [Int]) throws -> Bool {
        guard mode == .namespaces else { return false }
        try heal()
        let other = (0..<nodes).filter { !side.contains($0) }
        for (group, rest) in [(side, other), (other, side)] {
            for i in group {
                for j in rest {
                    try runTool(["ip", "netns", "exec", namespace(i), "nft", "add", "rule", "inet", "chaos", "input",
                                 "ip", "saddr", host(j), "drop"])
                }
            }
        }
        return true
    }

    public func heal() throws {
        guard mode == .namespaces else { return }
        for i in 0..<nodes { try runTool(["ip", "netns", "exec", namespace(i), "nft", "flush", "chain", "inet", "chaos", "input"]) }
    }

    /// The command line that runs `argv` as node `i` (inside its namespace).
    public func launcher(_ i: Int, _ argv: [String]) -> (binary: String, arguments: [String]) {
        mode == .namespaces ? ("/usr/bin/env", ["ip", "netns", "exec", namespace(i)] + argv) : (argv[0], Array(argv.dropFirst()))
    }

    /// libfaketime's environment for a clock `seconds` off (monotonic time stays true, as on a
    /// machine whose wall clock is simply wrong); nil without the library.
    public func clockEnvironment(seconds: Int) -> [String: String]? {
        guard seconds != 0 else { return [:] }
        guard let library = fakeTimeLibrary else { return nil }
        return ["LD_PRELOAD": library, "FAKETIME": "\(seconds > 0 ? "+" : "")\(seconds)s", "FAKETIME_DONT_FAKE_MONOTONIC": "1",
                "FAKETIME_NO_CACHE": "1"]
    }

    // MARK: The small disk

    /// Mounts a tmpfs of `megabytes` on `path`, keeping what the directory held.
    public func mountSmallDisk(at path: String, megabytes: Int) throws -> Bool {
        guard mode == .namespaces else { return false }
        let staging = path + ".staging"
        try FileManager.default.moveItem(atPath: path, toPath: staging)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        try runTool(["mount", "-t", "tmpfs", "-o", "size=\(megabytes)m,mode=0700", "tmpfs", path])
        try runTool(["cp", "-a", staging + "/.", path])
        try FileManager.default.removeItem(atPath: staging)
        return true
    }

    /// Takes every free byte of the filesystem at `path` with a filler file.
    public func fillDisk(at path: String) throws {
        let filler = path + "/chaos-filler"
        var stats = statvfs()
        guard statvfs(path, &stats) == 0 else { throw ChaosError.setup("statvfs \(path): errno \(errno)") }
        let free = UInt64(stats.f_bavail) * UInt64(stats.f_frsize)
        if free > 0 { try runTool(["fallocate", "-l", "\(free)", filler], allowFailure: true) }
        // Whatever fallocate left (rounding, metadata) goes to a second file written to ENOSPC.
        try runTool(["dd", "if=/dev/zero", "of=\(filler)-rest", "bs=4k"], allowFailure: true)
    }

    public func freeDisk(at path: String) {
        try? FileManager.default.removeItem(atPath: path + "/chaos-filler")
        try? FileManager.default.removeItem(atPath: path + "/chaos-filler-rest")
    }
}
