// ProcessCPU owns reading a process's CPU time from /proc/PID/stat and turning two readings
// into a share of the machine, for the per-validator CPU column of `agora bench consensus`:
// on a shared two-core host the question "who took the cores" has to be answered per process.
import Foundation

public enum ProcessCPU {
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        case unreadable(pid: Int32)
        case malformed(pid: Int32, reason: String)

        public var description: String {
            switch self {
            case let .unreadable(pid): return "/proc/\(pid)/stat cannot be read (process gone?)"
            case let .malformed(pid, why): return "/proc/\(pid)/stat is malformed: \(why)"
            }
        }
    }

    /// User plus system time in clock ticks from the text of /proc/PID/stat. The command name
    /// (field 2) is in parentheses and may itself hold spaces and parentheses, so fields are
    /// counted from the last ")"; utime and stime are fields 14 and 15.
    public static func ticks(statLine: String, pid: Int32 = 0) throws(Failure) -> UInt64 {
        guard let close = statLine.lastIndex(of: ")") else { throw .malformed(pid: pid, reason: "no \")\" after the command name") }
        let rest = statLine[statLine.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        // rest[0] is field 3 (state), so field n is rest[n - 3].
        guard rest.count >= 13 else { throw .malformed(pid: pid, reason: "\(rest.count + 2) fields, need at least 15") }
        guard let user = UInt64(rest[11]), let system = UInt64(rest[12]) else {
            throw .malformed(pid: pid, reason: "utime \"\(rest[11])\" or stime \"\(rest[12])\" is not a count")
        }
        return user + system
    }

    /// CPU seconds the process has used so far.
    public static func seconds(pid: Int32) throws(Failure) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { throw .unreadable(pid: pid) }
        return Double(try ticks(statLine: text, pid: pid)) / ticksPerSecond
    }

    public static var ticksPerSecond: Double { Double(max(1, sysconf(Int32(_SC_CLK_TCK)))) }

    /// Cores' worth of CPU used between two readings `wall` seconds apart, and that as a share
    /// of all `cores` (1.0 = the whole machine).
    public static func share(cpuSeconds: Double, wall: Double, cores: Int) -> (cores: Double, machine: Double) {
        guard wall > 0, cores > 0 else { return (.nan, .nan) }
        let used = cpuSeconds / wall
        return (used, used / Double(cores))
    }

    /// Processes whose command line holds `argument` as one whole argument: finds the node
    /// processes of a network this benchmark did not start (by their `--data-dir`).
    public static func pids(withArgument argument: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            return data.split(separator: 0).contains { String(decoding: $0, as: UTF8.self) == argument }
        }.sorted()
    }
}
