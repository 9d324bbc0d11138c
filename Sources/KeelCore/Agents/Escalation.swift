import Crypto

/// A question for a human: a tool call held for approval, or one an agent asked itself
/// (`POST /v1/tasks/{id}/escalations`). Reviewers approve or deny it; `quorum` approvals decide
/// it, one denial denies it, and one not decided by ``expiresAt`` has expired (denied).
///
/// An approval is bound to the exact call — the agent, the server and tool, the SHA-256 of its
/// canonical arguments — and used once, before its expiry.
public struct Escalation: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// A call of a gated MCP tool, held until decided.
        case toolCall = "tool_call"
        /// A question the agent asked.
        case question
        /// A task that used a limit of its budget, paused (`on_budget_exceeded: pause`): approved,
        /// the limit it reached is doubled and it runs on; denied or expired, it fails.
        case budget
    }

    public enum State: String, Sendable, Codable, CaseIterable {
        case pending, approved, denied, expired
    }

    /// One reviewer's decision.
    public struct Vote: Sendable, Equatable, Codable {
        public var reviewer: String
        public var approve: Bool
        public var reason: String?
        /// Unix µs.
        public var at: Int64

        public init(reviewer: String, approve: Bool, reason: String?, at: Int64) {
            self.reviewer = reviewer
            self.approve = approve
            self.reason = reason
            self.at = at
        }
    }

    public var id: String
    public var kind: Kind
    public var state: State
    public var agentID: String
    public var orgID: OrgID?
    public var teamID: TeamID?
    public var taskID: String?
    public var server: String?
    public var tool: String?
    public var argumentsSHA256: String?
    /// The call's arguments (canonical JSON, at most 16 KiB kept) for the reviewer to read.
    public var arguments: String?
    public var question: String?
    public var quorum: Int
    public var votes: [Vote]
    /// Unix µs: the creation, the deadline for a decision (then, once approved, for its use),
    /// the decision and the approval's use.
    public var createdAt: Int64
    public var expiresAt: Int64
    public var decidedAt: Int64?
    public var consumedAt: Int64?

    public init(
        id: String,
        kind: Kind,
        state: State = .pending,
        agentID: String,
        orgID: OrgID? = nil,
        teamID: TeamID? = nil,
        taskID: String? = nil,
        server: String? = nil,
        tool: String? = nil,
        argumentsSHA256: String? = nil,
        arguments: String? = nil,
        question: String? = nil,
        quorum: Int = 1,
        votes: [Vote] = [],
        createdAt: Int64,
        expiresAt: Int64,
        decidedAt: Int64? = nil,
        consumedAt: Int64? = nil
    ) {
        self.id = id
        self.kind = kind
        self.state = state
        self.agentID = agentID
        self.orgID = orgID
        self.teamID = teamID
        self.taskID = taskID
        self.server = server
        self.tool = tool
        self.argumentsSHA256 = argumentsSHA256
        self.arguments = arguments
        self.question = question
        self.quorum = quorum
        self.votes = votes
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.decidedAt = decidedAt
        self.consumedAt = consumedAt
    }

    /// The reason of the decision: the denial's, or the last approval's.
    public var reason: String? {
        (self.votes.last { !$0.approve } ?? self.votes.last)?.reason
    }

    /// This escalation with `vote` counted at its time: denied by a denial, approved at
    /// `quorum` approvals (then usable until `vote.at + usableFor` µs).
    public func counting(_ vote: Vote, usableFor: Int64) -> Escalation {
        var next = self
        next.votes.append(vote)
        if !vote.approve {
            next.state = .denied
            next.decidedAt = vote.at
        } else if next.votes.filter(\.approve).count >= self.quorum {
            next.state = .approved
            next.decidedAt = vote.at
            next.expiresAt = vote.at + usableFor
        }
        return next
    }

    /// The SHA-256 (hex) of `arguments` as RFC 8785 canonical JSON (`{}` when absent), and that
    /// JSON; `nil` when it cannot be canonicalised.
    public static func fingerprint(of arguments: JSONValue?) -> (sha256: String, json: String)? {
        guard let bytes = try? CanonicalJSON.encode(arguments ?? .object([])) else { return nil }
        return (SHA256Hex.of(bytes), String(decoding: bytes, as: UTF8.self))
    }
}

/// An agent's approval gates: which of its tool calls wait for a human, how many reviewers must
/// approve, and how long they have (`approval_timeout`; then the call is denied).
public struct ApprovalPolicy: Sendable, Equatable, Codable {
    /// Gated tools, as ``AgentToolPattern``s (`github/delete_*`, `*/send_email`).
    public var tools: [String]
    /// Approvals needed (N of M reviewers); one denial denies.
    public var quorum: Int
    public var timeoutSeconds: Int

    public init(tools: [String] = [], quorum: Int = 1, timeoutSeconds: Int = 300) {
        self.tools = tools
        self.quorum = quorum
        self.timeoutSeconds = timeoutSeconds
    }

    enum CodingKeys: String, CodingKey {
        case tools, quorum
        case timeoutSeconds = "timeout_seconds"
    }

    /// Whether a call of `tool` of `server` waits for approval.
    public func gates(tool: String, server: String?) -> Bool {
        self.tools.contains { AgentToolPattern($0).matches(tool: tool, server: server) }
    }
}

/// SHA-256 in lowercase hex.
public enum SHA256Hex {
    public static func of(_ bytes: some Collection<UInt8>) -> String {
        HexCoding.encode(SHA256.hash(data: Array(bytes)))
    }
}
