/// One rate limit: requests and tokens per window and requests in flight, for the requests of a
/// key, a team, a model, or a combination of them.
///
/// A rule *covers* a request when every scope it names matches the request: `key` the request's
/// key id, `team` its team id, `model` the model name the client sent. A rule names at least one
/// scope. All requests a rule covers share one counter: a rule on `model: gpt-4o` alone limits
/// that model for everyone together.
///
/// `requestsPerWindow` and `tokensPerWindow` count per fixed window of `windowSeconds` seconds,
/// aligned to the Unix epoch (a minute by default, so they are RPM and TPM). `maxConcurrent`
/// counts requests admitted and not yet finished. A `nil` limit is no limit.
public struct RateLimitRule: Sendable, Equatable, Hashable, Codable {
    public var id: String
    public var keyID: KeyID?
    public var teamID: TeamID?
    public var model: String?
    public var requestsPerWindow: Int?
    public var tokensPerWindow: Int?
    public var maxConcurrent: Int?
    /// The length of the counting window; 60 makes `requestsPerWindow` an RPM.
    public var windowSeconds: Int
    /// Microseconds since the Unix epoch; 0 for rules of the configuration file.
    public var createdAt: Int64

    public init(
        id: String,
        keyID: KeyID? = nil,
        teamID: TeamID? = nil,
        model: String? = nil,
        requestsPerWindow: Int? = nil,
        tokensPerWindow: Int? = nil,
        maxConcurrent: Int? = nil,
        windowSeconds: Int = 60,
        createdAt: Int64 = 0
    ) {
        self.id = id
        self.keyID = keyID
        self.teamID = teamID
        self.model = model
        self.requestsPerWindow = requestsPerWindow
        self.tokensPerWindow = tokensPerWindow
        self.maxConcurrent = maxConcurrent
        self.windowSeconds = windowSeconds
        self.createdAt = createdAt
    }

    /// The longest window a rule may have (a day).
    public static let maxWindowSeconds = 86_400

    /// Whether the rule covers a request of `keyID`, `teamID` to `model`.
    public func covers(keyID: KeyID?, teamID: TeamID?, model: String) -> Bool {
        if let key = self.keyID, key != keyID { return false }
        if let team = self.teamID, team != teamID { return false }
        if let rule = self.model, rule != model { return false }
        return true
    }

    /// Why the rule cannot be used, or `nil` when it is valid: it names no scope, sets no limit,
    /// has a limit below 1, or a window outside 1 s…1 day.
    public var problem: String? {
        if self.keyID == nil && self.teamID == nil && self.model == nil {
            return "names no scope: set key, team or model"
        }
        if self.requestsPerWindow == nil && self.tokensPerWindow == nil && self.maxConcurrent == nil {
            return "sets no limit: set rpm, tpm or max_concurrent"
        }
        for (name, value) in [("rpm", self.requestsPerWindow), ("tpm", self.tokensPerWindow), ("max_concurrent", self.maxConcurrent)] {
            if let value, value < 1 || value > 1_000_000_000_000 { return "\(name) must be from 1 to 10^12" }
        }
        if !(1...Self.maxWindowSeconds).contains(self.windowSeconds) {
            return "window_seconds must be from 1 to \(Self.maxWindowSeconds)"
        }
        return nil
    }

    /// The start of the window that holds `unixMicros` (Unix seconds, a multiple of the window).
    public func windowStart(at unixMicros: Int64) -> Int64 {
        let seconds = unixMicros / 1_000_000
        let length = Int64(self.windowSeconds)
        return seconds - ((seconds % length) + length) % length
    }
}
