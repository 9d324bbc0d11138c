/// The rules of agent attribution: the `x-keel-agent` and `x-keel-task` headers, and how an
/// agent task ends (`x-keel-task-outcome`, or `POST /v1/tasks/{task_id}/outcome`).
///
/// An agent id or a task id is 1 to ``maxLength`` printable ASCII characters (space to `~`).
/// The gateway refuses a request whose header breaks the rule with 400 `invalid_request`,
/// `param` naming the header, in the client's dialect; the request still leaves its record.
public enum AgentTask {
    /// How an agent says its task ended.
    public enum Outcome: String, Sendable, Codable, CaseIterable {
        case success
        case failure
    }

    /// The longest agent or task id, in characters.
    public static let maxLength = 128

    /// Whether `text` is a valid agent or task id.
    public static func isValidID(_ text: some StringProtocol) -> Bool {
        guard !text.isEmpty, text.utf8.count <= Self.maxLength else { return false }
        return text.utf8.allSatisfy { (0x20...0x7E).contains($0) }
    }

    /// `value` when it is a valid id; `nil` when absent.
    ///
    /// - Throws: `KeelError.invalidRequest` with `param` `name` when present and invalid.
    public static func validatedID(_ value: String?, name: String) throws(KeelError) -> String? {
        guard let value else { return nil }
        guard Self.isValidID(value) else {
            throw .invalidRequest(
                "Invalid '\(name)': 1 to \(Self.maxLength) printable ASCII characters.", param: name)
        }
        return value
    }

    /// The outcome named by `value` (`success` or `failure`, any case); `nil` when absent.
    ///
    /// - Throws: `KeelError.invalidRequest` with `param` `name` when present and not an outcome.
    public static func validatedOutcome(_ value: String?, name: String) throws(KeelError) -> Outcome? {
        guard let value else { return nil }
        guard let outcome = Outcome(rawValue: value.lowercased()) else {
            throw .invalidRequest("Invalid '\(name)': success or failure.", param: name)
        }
        return outcome
    }
}
