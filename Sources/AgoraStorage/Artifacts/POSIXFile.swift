import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The few system calls the artifact store needs, with errno captured into `ArtifactError.io`.
/// Plain POSIX rather than FileHandle: the store must fsync files and directories and control
/// exactly when a rename happens, which is the whole of its crash-safety argument.
enum POSIXFile {
    static func open(_ path: String, _ flags: Int32, _ mode: mode_t = 0o600) throws(ArtifactError) -> Int32 {
        let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
        guard fd >= 0 else { throw .io(operation: "open", path: path, errno: errno) }
        return fd
    }

    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(ArtifactError) {
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(operation: "write", path: path, errno: errno)
            }
            done += n
        }
    }

    /// Fills `buffer` as far as the file allows; returns the bytes read (0 at end of file).
    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, path: String) throws(ArtifactError) -> Int {
        var done = 0
        while done < buffer.count {
            let n = Glibc.read(fd, buffer.baseAddress! + done, buffer.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(operation: "read", path: path, errno: errno)
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    static func fsync(_ fd: Int32, path: String) throws(ArtifactError) {
        guard Glibc.fsync(fd) == 0 else { throw .io(operation: "fsync", path: path, errno: errno) }
    }

    /// A rename is durable only once its directory is fsynced.
    static func fsyncDirectory(_ path: String) throws(ArtifactError) {
        let fd = try open(path, O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        try fsync(fd, path: path)
    }

    static func rename(_ from: String, _ to: String) throws(ArtifactError) {
        guard Glibc.rename(from, to) == 0 else { throw .io(operation: "rename", path: to, errno: errno) }
    }

    static func size(_ path: String) -> Int64? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return Int64(st.st_size)
    }

    static func makeDirectory(_ path: String) throws(ArtifactError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw .io(operation: "mkdir", path: path, errno: errno == 0 ? EIO : errno)
        }
    }
}
