extension Playbook {
    /// Keel's default playbook for each category (`default-<category>`): notify, collect
    /// evidence, a first containment step where it is safe to take alone, the stronger one held
    /// for approval, and escalation when nobody acknowledges. A playbook of the configuration or
    /// the admin API with the same id replaces it (`enabled: false` turns it off).
    public static let defaults: [Playbook] = [
        Playbook(
            id: "default-prompt_injection",
            name: "Prompt injection: throttle the key, suspend it on approval",
            category: .promptInjection,
            steps: [
                PlaybookStep(.notify(message: nil)),
                PlaybookStep(.freezeEvidence),
                PlaybookStep(.throttle(requestsPerMinute: 30, durationMinutes: 60)),
                PlaybookStep(.suspendKey, approval: true),
                PlaybookStep(.escalate(afterMinutes: 15)),
            ],
            source: .builtIn
        ),
        Playbook(
            id: "default-model_degradation",
            name: "Model degradation: fail over on approval",
            category: .modelDegradation,
            steps: [
                PlaybookStep(.notify(message: nil)),
                PlaybookStep(.failover(provider: nil, durationMinutes: 60), approval: true),
                PlaybookStep(.escalate(afterMinutes: 30)),
            ],
            source: .builtIn
        ),
        Playbook(
            id: "default-data_exposure",
            name: "Data exposure: freeze evidence, suspend the key on approval",
            category: .dataExposure,
            steps: [
                PlaybookStep(.notify(message: nil)),
                PlaybookStep(.freezeEvidence),
                PlaybookStep(.suspendKey, approval: true),
                PlaybookStep(.escalate(afterMinutes: 15)),
            ],
            source: .builtIn
        ),
        Playbook(
            id: "default-cost_spike",
            name: "Cost spike: throttle, suspend the agent on approval",
            category: .costSpike,
            steps: [
                PlaybookStep(.notify(message: nil)),
                PlaybookStep(.throttle(requestsPerMinute: 60, durationMinutes: 60)),
                PlaybookStep(.suspendAgent, approval: true),
                PlaybookStep(.escalate(afterMinutes: 30)),
            ],
            source: .builtIn
        ),
        Playbook(
            id: "default-provider_outage",
            name: "Provider outage: the breakers fail over; bench the provider for an hour on approval",
            category: .providerOutage,
            steps: [
                PlaybookStep(.notify(message: nil)),
                PlaybookStep(.escalate(afterMinutes: 15)),
                // The breakers already move traffic away and probe the provider to bring it
                // back; benching it stops the probing, so a human decides.
                PlaybookStep(.failover(provider: nil, durationMinutes: 60), approval: true),
            ],
            source: .builtIn
        ),
        Playbook(
            id: "default-agent_misbehaviour",
            name: "Agent misbehaviour: suspend the agent on approval",
            category: .agentMisbehaviour,
            steps: [
                PlaybookStep(.notify(message: nil)),
                PlaybookStep(.freezeEvidence),
                PlaybookStep(.suspendAgent, approval: true),
                PlaybookStep(.escalate(afterMinutes: 15)),
            ],
            source: .builtIn
        ),
        Playbook(
            id: "default-supply_chain",
            name:
                "Supply chain: freeze evidence; on approval, suspend the agent (a changed or poisoned tool) or move the model to its fallbacks (a new version)",
            category: .supplyChain,
            steps: [
                PlaybookStep(.notify(message: nil)),
                PlaybookStep(.freezeEvidence),
                // Each is skipped when the incident's scope names no agent, or no model.
                PlaybookStep(.suspendAgent, approval: true),
                PlaybookStep(.failover(provider: nil, durationMinutes: 60), approval: true),
                PlaybookStep(.escalate(afterMinutes: 30)),
            ],
            source: .builtIn
        ),
    ]
}
