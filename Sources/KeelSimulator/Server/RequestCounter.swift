import Synchronization

/// Counts the requests a simulator received, per path and per path and model, so that a test
/// can ask how often the upstream was called.
final class RequestCounter: Sendable {
    private struct Key: Hashable {
        let path: String
        let model: String?
    }

    private let counts = Mutex<[Key: Int]>([:])

    /// Counts one request to `path`, and to `path` for `model` when the model is known.
    func record(path: String, model: String?) {
        self.counts.withLock { counts in
            counts[Key(path: path, model: nil), default: 0] += 1
            if let model {
                counts[Key(path: path, model: model), default: 0] += 1
            }
        }
    }

    /// Requests to `path` (for `model` when given) so far.
    func count(path: String, model: String?) -> Int {
        self.counts.withLock { $0[Key(path: path, model: model)] ?? 0 }
    }
}
