import Logging
import Synchronization

/// Spans that were never exported, counted for `/metrics`.
final class TracingDrops: Sendable {
    private let counts = Mutex<(queueFull: Int, exportFailed: Int)>((0, 0))

    var queueFull: Int { self.counts.withLock { $0.queueFull } }
    var exportFailed: Int { self.counts.withLock { $0.exportFailed } }

    func add(queueFull: Int = 0, exportFailed: Int = 0) {
        self.counts.withLock {
            $0.queueFull += queueFull
            $0.exportFailed += exportFailed
        }
    }
}

/// The diagnostic logger handed to swift-otel: forwards its messages to Keel's logger and counts
/// the spans its batch processor reports lost.
///
/// swift-otel keeps its queue and its drop count internal (its 1.x public API is only the
/// backend factories) and reports drops only in these two warnings, so they are matched by their
/// text: `"Spans were dropped this iteration because queue was full"` with `dropped_count`, and
/// `"Failed to export batch."` with `batch_size` (metadata of the processor's logger). A test
/// (`TracingTests`) fails if a swift-otel update changes them.
struct TracingDiagnosticsLogHandler: LogHandler {
    static let queueFullMessage = "Spans were dropped this iteration because queue was full"
    static let exportFailedMessage = "Failed to export batch."

    let inner: Logger
    let drops: TracingDrops
    var metadata: Logger.Metadata = [:]

    /// `warning` (swift-otel's informational lines are left out), or Keel's level when that is
    /// `debug` or `trace`, whatever swift-otel or `OTEL_LOG_LEVEL` sets: drops are warnings, so
    /// they are always counted.
    var logLevel: Logger.Level {
        get { self.inner.logLevel <= .debug ? self.inner.logLevel : .warning }
        set {}
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = self.metadata
        if let metadata = event.metadata { merged.merge(metadata) { $1 } }
        switch event.message.description {
        case Self.queueFullMessage:
            if let count = merged["dropped_count"].flatMap({ Int("\($0)") }) { self.drops.add(queueFull: count) }
        case Self.exportFailedMessage:
            if let count = merged["batch_size"].flatMap({ Int("\($0)") }) { self.drops.add(exportFailed: count) }
        default:
            break
        }
        guard event.level >= self.logLevel, event.level >= self.inner.logLevel else { return }
        var forwarded = event
        forwarded.metadata = merged
        self.inner.handler.log(event: forwarded)
    }
}
