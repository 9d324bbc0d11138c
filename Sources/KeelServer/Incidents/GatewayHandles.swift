import KeelCore
import KeelOps
import KeelProviders
import KeelStorage
import Logging
import NIOCore

/// The handles playbooks act on the gateway through. Each change goes through the store, so
/// every instance applies it within its sync interval (keys, agents, rate limits, routes,
/// policies), and is applied here at once; each returns what undoing it needs.
struct GatewayHandles: IncidentHandles {
    let stores: KeelStores
    let keyRing: KeyRing
    let agents: AgentBook
    let rateLimiter: RateLimiter
    let routes: RouteOverrides
    /// The configured fallbacks of a model (empty for a model without, or not configured).
    let fallbacks: @Sendable (String) -> [String]
    let policies: PolicyBook
    let engine: IncidentEngine
    let notifier: any IncidentNotifier
    let eventLoopGroup: any EventLoopGroup

    func perform(_ action: PlaybookAction, for incident: Incident) async throws -> IncidentActionOutcome {
        let now = WallClock.unixMicros()
        switch action {
        case .notify(let message):
            let text = message ?? "\(incident.category.rawValue) incident \(incident.id): \(incident.title)"
            await self.notifier.notify(.init(event: .notice, incident: incident, text: text))
            return .init(text: "Notified the receivers")
        case .webhook(let url, let slack):
            let client = try WebhookClient(url: url, eventLoopGroup: self.eventLoopGroup)
            defer { Task { await client.shutdown() } }
            let notification = IncidentNotification(event: .notice, incident: incident, text: incident.title)
            let status = try await client.post(
                slack ? notification.slackWebhookBody() : notification.genericWebhookBody()
            )
            guard (200..<300).contains(status) else { throw IncidentActionFailure("\(url) answered \(status)") }
            return .init(text: "Posted the incident to \(url) (\(status))")
        case .freezeEvidence:
            let frozen = try await self.engine.freezeEvidence(of: incident.id, actor: "playbook", at: now)
            return .init(text: "Evidence frozen: \(frozen.evidence?.entries.count ?? 0) audit entries indexed")
        case .suspendKey:
            return try await self.suspendKey(of: incident, at: now)
        case .suspendAgent:
            return try await self.suspendAgent(of: incident, at: now)
        case .throttle(let rpm, _):
            return try await self.throttle(incident, requestsPerMinute: rpm, at: now)
        case .failover(let named, _):
            // The provider the step names is benched; else an incident about a model (degraded,
            // or answering as a new version) moves that model to its fallbacks, and one about a
            // provider (an outage) benches the provider.
            if named == nil, let model = incident.scope.model {
                return try await self.moveToFallbacks(model, of: incident, at: now)
            }
            guard let provider = named ?? incident.scope.provider else {
                throw IncidentActionFailure(
                    "the incident names no provider or model to fail over from",
                    notApplicable: true
                )
            }
            let override = try await self.routes.bench(provider: provider, reason: "incident \(incident.id)", at: now)
            return .init(
                text: "Benched provider '\(provider)': its deployments take no traffic, fallbacks serve",
                undo: .object(["route_override": .string(override)])
            )
        case .pinModel(let model, let deployment):
            guard let model = model ?? incident.scope.model else {
                throw IncidentActionFailure("the incident names no model to pin", notApplicable: true)
            }
            let override = try await self.routes.pin(
                model: model,
                deployment: deployment,
                reason: "incident \(incident.id)",
                at: now
            )
            return .init(
                text: "Pinned model '\(model)' to '\(deployment)'",
                undo: .object(["route_override": .string(override)])
            )
        case .blockPattern(let pattern):
            let id = try await self.policies.addBlockRule(
                pattern: pattern,
                scope: incident.scope,
                name: "incident \(incident.id)",
                at: now
            )
            return .init(
                text: "Blocked prompts containing '\(pattern)' (policy \(id))",
                undo: .object(["policy": .string(id)])
            )
        case .escalate, .requireApproval:
            // The runner handles these itself.
            return .init(text: "Nothing to do")
        }
    }

    func undo(_ action: PlaybookAction, token: JSONValue, for incident: Incident) async throws -> String {
        switch action {
        case .suspendKey:
            guard let id = token["key"]?.string, let at = token["suspended_at"]?.int.map(Int64.init) else {
                throw IncidentActionFailure("the undo record names no key")
            }
            // Resumed only when still suspended by this step (not by someone else since).
            guard let key = try await self.stores.keys.key(id: KeyID(id)), key.suspendedAt == at else {
                return "key \(id) was already resumed or suspended again by someone else; left as it is"
            }
            _ = try await self.stores.keys.setSuspended(id: KeyID(id), at: nil)
            if let resumed = try await self.stores.keys.key(id: KeyID(id)) { self.keyRing.upsert(resumed) }
            return "resumed key \(id)"
        case .suspendAgent:
            guard let id = token["agent"]?.string, let reason = token["reason"]?.string else {
                throw IncidentActionFailure("the undo record names no agent")
            }
            guard var agent = try await self.stores.agents.agent(id: id), agent.state == .suspended,
                agent.suspendedReason == reason
            else {
                return "agent \(id) was already resumed or suspended again by someone else; left as it is"
            }
            agent.state = .active
            agent.suspendedAt = nil
            agent.suspendedReason = nil
            agent.updatedAt = WallClock.unixMicros()
            _ = try await self.stores.agents.update(agent)
            try await self.agents.reload()
            return "resumed agent \(id)"
        case .throttle:
            let rules = token["rules"]?.array?.compactMap(\.string) ?? []
            for rule in rules { _ = try await self.stores.rateLimits.delete(id: rule) }
            try await self.rateLimiter.reload()
            return "removed rate limit \(rules.joined(separator: ", "))"
        case .failover, .pinModel:
            guard let id = token["route_override"]?.string else {
                throw IncidentActionFailure("the undo record names no route")
            }
            try await self.routes.remove(id: id)
            return "routes restored (\(id) removed)"
        case .blockPattern:
            guard let id = token["policy"]?.string else {
                throw IncidentActionFailure("the undo record names no policy")
            }
            try await self.policies.removeBlockRule(id: id)
            return "removed policy \(id)"
        case .notify, .webhook, .freezeEvidence, .escalate, .requireApproval:
            return "nothing to undo"
        }
    }

    private func suspendKey(of incident: Incident, at now: Int64) async throws -> IncidentActionOutcome {
        guard let id = incident.scope.key else {
            throw IncidentActionFailure("the incident names no key to suspend", notApplicable: true)
        }
        guard let key = try await self.stores.keys.key(id: KeyID(id)) else {
            throw IncidentActionFailure(
                "key \(id) is not a stored key (keys of the configuration file cannot be suspended)"
            )
        }
        guard key.suspendedAt == nil else { throw IncidentActionFailure("key \(id) is already suspended") }
        _ = try await self.stores.keys.setSuspended(id: key.id, at: now)
        if let suspended = try await self.stores.keys.key(id: key.id) { self.keyRing.upsert(suspended) }
        return .init(
            text: "Suspended key \(id)",
            undo: .object(["key": .string(id), "suspended_at": .int(now)])
        )
    }

    private func moveToFallbacks(
        _ model: String,
        of incident: Incident,
        at now: Int64
    ) async throws -> IncidentActionOutcome {
        let fallbacks = self.fallbacks(model)
        guard !fallbacks.isEmpty else {
            throw IncidentActionFailure("model '\(model)' has no fallback to move to")
        }
        let override = try await self.routes.moveToFallbacks(
            model: model,
            reason: "incident \(incident.id)",
            at: now
        )
        return .init(
            text: "Moved model '\(model)' to its fallbacks (\(fallbacks.joined(separator: ", ")))",
            undo: .object(["route_override": .string(override)])
        )
    }

    private func suspendAgent(of incident: Incident, at now: Int64) async throws -> IncidentActionOutcome {
        // An incident about a key bound to an agent (a budget of the agent's key) names the agent
        // through its key.
        var named = incident.scope.agent
        if named == nil, let key = incident.scope.key {
            named = try await self.stores.keys.key(id: KeyID(key))?.agentID
        }
        guard let id = named else {
            throw IncidentActionFailure("the incident names no agent to suspend", notApplicable: true)
        }
        guard var agent = try await self.stores.agents.agent(id: id) else {
            throw IncidentActionFailure("agent \(id) is not registered: register it, or hold its team's agents")
        }
        guard agent.state != .suspended else { throw IncidentActionFailure("agent \(id) is already suspended") }
        let reason = "incident \(incident.id): \(incident.title)"
        agent.state = .suspended
        agent.suspendedAt = now
        agent.suspendedReason = reason
        agent.updatedAt = now
        _ = try await self.stores.agents.update(agent)
        try await self.agents.reload()
        return .init(text: "Suspended agent \(id)", undo: .object(["agent": .string(id), "reason": .string(reason)]))
    }

    /// A rate limit per key of the incident (its key, or its agent's keys), else on its team,
    /// else on its model.
    private func throttle(
        _ incident: Incident,
        requestsPerMinute: Int,
        at now: Int64
    ) async throws -> IncidentActionOutcome {
        var rules: [RateLimitRule] = []
        let base = "incident-\(incident.id)"
        if let key = incident.scope.key {
            rules.append(
                RateLimitRule(id: base, keyID: KeyID(key), requestsPerWindow: requestsPerMinute, createdAt: now)
            )
        } else if let agent = incident.scope.agent {
            let keys = try await self.stores.keys.allKeys().filter { $0.agentID == agent && $0.isActive(at: now) }
            for (index, key) in keys.enumerated() {
                rules.append(
                    RateLimitRule(
                        id: "\(base)-\(index)",
                        keyID: key.id,
                        requestsPerWindow: requestsPerMinute,
                        createdAt: now
                    )
                )
            }
            guard !rules.isEmpty else {
                throw IncidentActionFailure("agent \(agent) has no keys of its own to throttle")
            }
        } else if let team = incident.scope.team {
            rules.append(
                RateLimitRule(id: base, teamID: TeamID(team), requestsPerWindow: requestsPerMinute, createdAt: now)
            )
        } else if let model = incident.scope.model {
            rules.append(RateLimitRule(id: base, model: model, requestsPerWindow: requestsPerMinute, createdAt: now))
        } else {
            throw IncidentActionFailure(
                "the incident names no key, agent, team or model to throttle",
                notApplicable: true
            )
        }
        for rule in rules { try await self.stores.rateLimits.insert(rule) }
        try await self.rateLimiter.reload()
        return .init(
            text:
                "Throttled to \(requestsPerMinute) requests per minute (rate limit \(rules.map(\.id).joined(separator: ", ")))",
            undo: .object(["rules": .array(rules.map { .string($0.id) })])
        )
    }
}
