#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The socket spellings that differ between Glibc and Darwin, in one place, so that the client
/// library (and apps on macOS and iOS that link it) builds on both: `PlainHTTPDownload` is the
/// only code here below Foundation. On Linux `SOCK_STREAM` is an enum and `MSG_NOSIGNAL` keeps a
/// write to a closed peer from raising SIGPIPE; Darwin has plain constants and the `SO_NOSIGPIPE`
/// socket option instead.
enum SocketPlatform {
    #if canImport(Glibc)
    static let streamType = Int32(SOCK_STREAM.rawValue)
    static let sendFlags = Int32(MSG_NOSIGNAL)
    #else
    static let streamType = SOCK_STREAM
    static let sendFlags: Int32 = 0
    #endif

    static func connect(_ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> Int32 {
        #if canImport(Glibc)
        return Glibc.connect(fd, address, length)
        #else
        return Darwin.connect(fd, address, length)
        #endif
    }

    /// Darwin's counterpart of `MSG_NOSIGNAL`, set once per socket; nothing to do on Linux.
    static func suppressSIGPIPE(_ fd: Int32) {
        #if canImport(Darwin)
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
        #endif
    }
}
