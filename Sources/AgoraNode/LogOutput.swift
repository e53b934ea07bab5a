import Foundation
import Logging
import Synchronization

/// Log output: `text` (swift-log's stream handler) or `json` (one object per line: time, level,
/// label, message, source and metadata). swift-log ships no JSON handler, hence this one.
/// The level can change at runtime (admin API) through `LogLevelControl`.
public enum LogFormat: String, Sendable, CaseIterable { case text, json }

public final class LogLevelControl: Sendable {
    private let level: Mutex<Logger.Level>
    public init(_ level: Logger.Level) { self.level = Mutex(level) }
    public var current: Logger.Level {
        get { level.withLock { $0 } }
        set { level.withLock { $0 = newValue } }
    }
}

public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let control: LogLevelControl
    let stream: @Sendable (String) -> Void

    public init(label: String, control: LogLevelControl, stream: @escaping @Sendable (String) -> Void) {
        self.label = label
        self.control = control
        self.stream = stream
    }

    public var logLevel: Logger.Level {
        get { control.current }
        set { control.current = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = self.metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let explicit = event.metadata { merged.merge(explicit) { $1 } }
        var object: [String: Any] = [
            "time": Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)),
            "level": event.level.rawValue,
            "label": label,
            "message": event.message.description,
            "source": event.source,
        ]
        for (k, v) in merged where object[k] == nil { object[k] = JSONLogHandler.plain(v) }
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        stream(String(decoding: data, as: UTF8.self) + "\n")
    }

    static func plain(_ v: Logger.Metadata.Value) -> Any {
        switch v {
        case let .string(s): return s
        case let .stringConvertible(c): return c.description
        case let .array(a): return a.map(plain)
        case let .dictionary(d): return d.mapValues(plain)
        }
    }
}

/// A text handler whose level follows `LogLevelControl`.
public struct TextLogHandler: LogHandler {
    var inner: StreamLogHandler
    let control: LogLevelControl

    public init(label: String, control: LogLevelControl) {
        inner = StreamLogHandler.standardError(label: label)
        self.control = control
    }

    public var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue }
    }

    public var logLevel: Logger.Level {
        get { control.current }
        set { control.current = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue }
    }

    public func log(event: LogEvent) {
        inner.log(event: event)
    }
}

public enum LogSetup {
    /// Bootstraps swift-log once per process.
    public static func bootstrap(format: LogFormat, control: LogLevelControl) {
        let stderrLock = Mutex(())
        LoggingSystem.bootstrap { label in
            switch format {
            case .text:
                return TextLogHandler(label: label, control: control)
            case .json:
                return JSONLogHandler(label: label, control: control) { line in
                    stderrLock.withLock { _ in FileHandle.standardError.write(Data(line.utf8)) }
                }
            }
        }
    }
}
