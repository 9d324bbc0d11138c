/// The seven kinds of AI incident Keel detects and responds to.
public enum IncidentCategory: String, Sendable, Hashable, Codable, CaseIterable {
    /// Prompt injection and jailbreaks (OWASP LLM01, agentic ASI01), canary tokens leaking.
    case promptInjection = "prompt_injection"
    /// Answers get worse or change without an error: shorter, truncated, refused, slower, or a
    /// model version the provider changed silently.
    case modelDegradation = "model_degradation"
    /// PII, PHI or secrets in answers, system-prompt leaks, PHI sent where it may not go, revoked
    /// keys still tried.
    case dataExposure = "data_exposure"
    /// Spend far above its norm: an agent in a retry loop, a runaway batch job, a budget about to
    /// run out.
    case costSpike = "cost_spike"
    /// A provider failing: errors, timeouts, rate limits, latency; breakers open.
    case providerOutage = "provider_outage"
    /// An agent looping, calling tools outside its scope, spending or stepping far above its
    /// norm, or succeeding less.
    case agentMisbehaviour = "agent_misbehaviour"
    /// What agents and the gateway depend on changed: a tool's definition, a model id or a
    /// provider never seen, tool descriptions carrying injections.
    case supplyChain = "supply_chain"
}

/// How bad an incident is. Ordered: `critical` is the highest.
public enum IncidentSeverity: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case low, medium, high, critical

    private var rank: Int {
        switch self {
        case .low: 0
        case .medium: 1
        case .high: 2
        case .critical: 3
        }
    }

    public static func < (lhs: IncidentSeverity, rhs: IncidentSeverity) -> Bool { lhs.rank < rhs.rank }
}
