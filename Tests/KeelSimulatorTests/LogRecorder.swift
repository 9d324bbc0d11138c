import Logging
import Synchronization

/// Keeps the messages logged through its ``logger``, to check what the simulator logged.
final class LogRecorder: Sendable {
    private let messages = Mutex<[String]>([])

    /// A debug-level logger that records into this recorder.
    var logger: Logger {
        var logger = Logger(label: "keel.simulator.test", factory: { _ in Handler(recorder: self) })
        logger.logLevel = .debug
        return logger
    }

    func contains(_ message: String) -> Bool {
        self.messages.withLock { $0.contains(message) }
    }

    private struct Handler: LogHandler {
        let recorder: LogRecorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .debug

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { self.metadata[key] }
            set { self.metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            self.recorder.messages.withLock { $0.append(event.message.description) }
        }
    }
}
