import Synchronization

/// Per-request behaviour queued by a test or over `POST /_simulator/script`.
///
/// Entries are consumed in FIFO order: a request takes the oldest entry that names its model or
/// no model, and that entry's `count` drops by one (it leaves the queue at zero). The taken
/// directives have the highest precedence (see ``SimulatorDirectives``). Endpoints that answer a
/// model (chat completions and embeddings) take entries; the model list and the `/_simulator`
/// routes do not. A request refused before its model is known (malformed JSON, unknown model)
/// takes nothing.
///
/// Thread-safe: one instance is shared by every request of a ``KeelSimulator``.
///
/// ```swift
/// simulator.script.enqueue(SimulatorDirectives(status: 503, retryAfter: 1), model: "keel-sim-chat", count: 2)
/// ```
public final class SimulatorScript: Sendable {
    private struct Entry {
        var directives: SimulatorDirectives
        var model: String?
        var remaining: Int
    }

    private let entries = Mutex<[Entry]>([])

    /// Creates an empty script.
    public init() {}

    /// Queues `directives` for the next `count` requests for `model`, or for any model when `nil`.
    ///
    /// A `count` below 1 queues nothing.
    public func enqueue(_ directives: SimulatorDirectives, model: String? = nil, count: Int = 1) {
        guard count > 0 else { return }
        self.entries.withLock { $0.append(Entry(directives: directives, model: model, remaining: count)) }
    }

    /// Drops every queued entry.
    public func reset() {
        self.entries.withLock { $0.removeAll() }
    }

    /// How many requests the queued entries still apply to, over all models.
    public var pendingCount: Int {
        self.entries.withLock { $0.reduce(0) { $0 + $1.remaining } }
    }

    /// Takes the directives for one request for `model`, or `nil` when no entry applies.
    func take(model: String) -> SimulatorDirectives? {
        self.entries.withLock { entries in
            guard let index = entries.firstIndex(where: { $0.model == nil || $0.model == model }) else { return nil }
            let directives = entries[index].directives
            entries[index].remaining -= 1
            if entries[index].remaining == 0 {
                entries.remove(at: index)
            }
            return directives
        }
    }
}
