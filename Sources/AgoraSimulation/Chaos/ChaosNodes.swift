// ChaosNodes owns the campaign's validator processes: starting each in its namespace (with a
// skewed clock when the plan says so), SIGKILLing and restarting them, and noticing a node that
// exited when nobody killed it — which is a finding, recorded and then restarted.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

final class ChaosNodes {
    struct Slot {
        var process: NodeProcess?
        /// Held down by a `.kill` until its `.restart`.
        var heldDown = false
        var clockSeconds = 0
        var starts = 0
    }

    let sandbox: ChaosSandbox
    let binary: String
    let dataDirs: [String]
    let logDir: String
    let log: @Sendable (String) -> Void
    private(set) var slots: [Slot]
    /// Exits nobody asked for: "node2 exited 132 at 412.3 s: <stderr tail>".
    private(set) var unexpectedExits: [String] = []
    private(set) var skewRestarts = 0
    private(set) var clockNotes: Set<String> = []

    init(sandbox: ChaosSandbox, binary: String, dataDirs: [String], logDir: String, log: @escaping @Sendable (String) -> Void) {
        self.sandbox = sandbox
        self.binary = binary
        self.dataDirs = dataDirs
        self.logDir = logDir
        self.log = log
        slots = Array(repeating: Slot(), count: dataDirs.count)
    }

    func api(_ i: Int, timeout: TimeInterval = 5) -> NodeAPI {
        NodeAPI(name: "node\(i)", base: "http://" + sandbox.httpAddress(i), timeout: timeout)
    }

    var isRunning: [Bool] { slots.map { $0.process?.isRunning == true } }

    func start(_ i: Int) throws {
        guard slots[i].process?.isRunning != true else { return }
        let peers = (0..<dataDirs.count).filter { $0 != i }.map { sandbox.p2pAddress($0) }.joined(separator: ",")
        let argv = [binary, "start", "--data-dir", dataDirs[i], "--http", sandbox.httpAddress(i), "--p2p", sandbox.p2pAddress(i),
                    "--peers", peers, "--log-level", "warning"]
        var environment = NetworkSimulation.environment
        // Listening beyond loopback, /mcp would need a token; the campaign does not use it.
        environment["AGORA_MCP_ENABLED"] = "false"
        if let clock = sandbox.clockEnvironment(seconds: slots[i].clockSeconds) {
            environment.merge(clock) { $1 }
        } else {
            clockNotes.insert("libfaketime is not installed: clock skews were not applied (apt-get install faketime)")
        }
        let (launcher, arguments) = sandbox.launcher(i, argv)
        let directory = logDir + "/node\(i)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        slots[i].process = try NodeProcess(binary: launcher, arguments, environment: environment, logDir: directory)
        slots[i].starts += 1
    }

    /// SIGKILL, and wait for the process to be gone (so a restart never meets its old self).
    func kill(_ i: Int) async {
        guard let process = slots[i].process else { return }
        process.signal(SIGKILL)
        _ = try? await process.wait(timeout: 10)
        slots[i].process = nil
    }

    func apply(_ action: ChaosAction, at t: Double) async throws {
        switch action {
        case let .kill(i):
            slots[i].heldDown = true
            await kill(i)
        case let .restart(i):
            slots[i].heldDown = false
            try start(i)
        case let .skewClock(i, seconds):
            slots[i].clockSeconds = seconds
            guard !slots[i].heldDown else { return }
            await kill(i)
            try start(i)
            skewRestarts += 1
        case .partition, .heal, .fillDisk, .freeDisk:
            break
        }
    }

    /// Records and restarts every node that should be running and is not.
    func reviveCrashed(at t: Double) throws {
        for i in slots.indices where !slots[i].heldDown {
            guard let process = slots[i].process, !process.isRunning else { continue }
            let status = process.process.terminationStatus
            let tail = process.stderr.split(separator: "\n").suffix(3).joined(separator: " | ")
            let line = String(format: "node%d exited %d at %.1f s (not killed by the campaign): %@", i, status, t, String(tail.suffix(400)))
            unexpectedExits.append(line)
            log(line)
            slots[i].process = nil
            try start(i)
        }
    }

    /// Brings every node back on the true clock for the end checks.
    func restoreAll() async throws {
        for i in slots.indices {
            slots[i].heldDown = false
            if slots[i].clockSeconds != 0 {
                slots[i].clockSeconds = 0
                await kill(i)
            }
            try start(i)
        }
    }

    func stopAll() async {
        for i in slots.indices { slots[i].process?.signal(SIGTERM) }
        for i in slots.indices {
            if let p = slots[i].process { _ = try? await p.wait(timeout: 20) }
        }
    }
}
