import Foundation
import Synchronization

/// One node per data directory: an exclusive `flock` on `<data-dir>/LOCK`, taken before
/// anything else opens the directory and held for the life of the process. The kernel releases
/// it when the process exits however it exits (`kill -9` included), so a crash never leaves a
/// stale lock; the file itself stays and only carries the holder's PID for the refusal message.
///
/// `flock` rather than `fcntl` locks: an `fcntl` lock belongs to the process and vanishes when
/// *any* descriptor of the file is closed (SQLite or a library opening the file would drop it);
/// a `flock` belongs to this open file description alone.
public final class DataDirectoryLock: Sendable {
    public static let fileName = "LOCK"

    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// Another process holds the lock; its PID if it wrote one.
        case held(directory: String, pid: Int32?)
        case io(path: String, reason: String)

        public var description: String {
            switch self {
            case let .held(dir, pid):
                let by = pid.map { "another agora process (PID \($0))" } ?? "another agora process"
                return "data directory \(dir) is in use by \(by): stop it first, or use another --data-dir"
            case let .io(path, why): return "cannot lock \(path): \(why)"
            }
        }
    }

    public let path: String
    private let descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    /// Locks `directory` (which must exist) or refuses at once; never waits.
    public static func acquire(_ directory: DataDirectory) throws(Failure) -> DataDirectoryLock {
        let path = directory.path + "/" + fileName
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .io(path: path, reason: String(cString: strerror(errno))) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            defer { close(fd) }
            guard code == EWOULDBLOCK else { throw .io(path: path, reason: String(cString: strerror(code))) }
            throw .held(directory: directory.path, pid: holder(fd))
        }
        let pid = Array("\(getpid())\n".utf8)
        guard ftruncate(fd, 0) == 0, pwrite(fd, pid, pid.count, 0) == pid.count else {
            let why = String(cString: strerror(errno))
            close(fd)
            throw .io(path: path, reason: why)
        }
        return DataDirectoryLock(path: path, descriptor: fd)
    }

    /// Locks the CLI's node commands hold until the process exits.
    private static let held = Mutex<[DataDirectoryLock]>([])

    /// Keeps this lock until the process exits (the kernel then releases it).
    public func keepUntilExit() { Self.held.withLock { $0.append(self) } }

    /// The PID the holder wrote (at most 16 bytes are read; anything else is "unknown").
    static func holder(_ fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 16)
        let n = pread(fd, &buffer, buffer.count, 0)
        guard n > 0 else { return nil }
        let text = String(decoding: buffer[..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return Int32(text).flatMap { $0 > 0 ? $0 : nil }
    }

    deinit {
        close(descriptor)  // releases the lock
    }
}
