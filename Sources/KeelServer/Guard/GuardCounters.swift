import Synchronization

/// What the content guard found and did, counted for `/metrics` as
/// `keel_guard_findings_total{type,action,source}`: the finding type (`prompt_injection` for a
/// flagged injection), the action taken and whether it was in the request or the answer. Every
/// label comes from a fixed set: never a tenant or a value.
final class GuardCounters: Sendable {
    enum Source: String, Sendable {
        case request
        case answer
    }

    /// The `type` label of a flagged injection.
    static let injectionType = "prompt_injection"

    private struct Key: Hashable, Comparable {
        var type: String
        var action: String
        var source: Source

        static func < (lhs: Key, rhs: Key) -> Bool {
            (lhs.type, lhs.action, lhs.source.rawValue) < (rhs.type, rhs.action, rhs.source.rawValue)
        }
    }

    private let counts = Mutex<[Key: UInt64]>([:])

    func count(_ type: String, action: String, source: Source) {
        self.counts.withLock { $0[Key(type: type, action: action, source: source), default: 0] += 1 }
    }

    /// How many findings of `type` were handled with `action` in `source` so far.
    func value(_ type: String, action: String, source: Source) -> UInt64 {
        self.counts.withLock { $0[Key(type: type, action: action, source: source)] ?? 0 }
    }

    /// The lines of `/metrics` about the guard.
    func prometheusText() -> String {
        let counts = self.counts.withLock { $0 }.sorted { $0.key < $1.key }
        var text = """
            # HELP keel_guard_findings_total Content guard findings (personal data, credentials, flagged prompt injection), by type, action and where.
            # TYPE keel_guard_findings_total counter

            """
        for (key, value) in counts {
            text += #"keel_guard_findings_total{type=""# + key.type + #"",action=""# + key.action + #"",source=""#
            text += key.source.rawValue + #""} \#(value)"# + "\n"
        }
        return text
    }
}
