import KeelCore
import KeelOps
import KeelStorage
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// Policy probes: every `compliance.probes.interval_ms` (5 minutes by default), synthetic
/// requests for each policy in force run through the live policy engine (the gateway's policy
/// book, admission's model check, the router's deployment filter and the content guard) without
/// reaching any provider, and what each rule did is kept as evidence (`policy_probe_result`).
///
/// What each rule is probed with, and what passes:
/// - `models.deny`, `models.allow`: a model name the rule forbids, in the policy's scope: refused
///   (`policy_violation`) at admission;
/// - `routing` (`providers`, `regions`, `baa_required`): for each model in scope, the deployments
///   the router may try (its own and its fallbacks', as the router plans them, without routing
///   anything); every one must be allowed by the policy, and a model with none left is refused,
///   never sent to a fallback the policy forbids;
/// - `pii.<action>`, `secrets.<action>`: a message carrying a sample of every type the rule
///   covers; `block` refuses it, `redact` forwards none of the values, `log` finds every type;
///   with `block` or `redact`, the same values in an answer are refused or redacted
///   (`….answer`);
/// - `injection.<action>.<role>`: a jailbreak in a message of each role the rule covers; `block`
///   refuses it, `flag` flags it;
/// - `keep_bodies`: the policies in force keep the bodies of a request in scope, and a synthetic
///   request's bodies seal with the organisation's key and open again (nothing is stored).
///
/// A stricter outcome than the rule's own passes (another policy in force may block what this
/// one redacts). A failing probe raises the `policy_probe_failed` alert, resolved when it passes
/// again. The probes use a content guard of their own, so `/metrics` counts only real traffic.
final class PolicyProber: Service, Sendable {
    let gateway: Gateway
    let book: PolicyBook
    let store: any PolicyStore
    let alerts: AlertService?
    let instanceID: String
    let interval: Duration
    let logger: Logger
    /// Seals kept bodies (the `keep_bodies` probe).
    let vault: BodyVault?
    private let contentGuard: ContentGuard
    /// The firing alerts, by policy and probe.
    private let firing = Mutex<[String: AlertNotification]>([:])

    /// The model name probes use where the policy's scope names none the registry has.
    static let syntheticModel = "keel-probe-model"

    init(
        gateway: Gateway,
        book: PolicyBook,
        store: any PolicyStore,
        vault: BodyVault? = nil,
        alerts: AlertService?,
        instanceID: String,
        interval: Duration,
        logger: Logger
    ) {
        self.vault = vault
        self.gateway = gateway
        self.book = book
        self.store = store
        self.alerts = alerts
        self.instanceID = instanceID
        self.interval = interval
        self.logger = logger
        self.contentGuard = ContentGuard(injectionThreshold: gateway.contentGuard.injectionThreshold)
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.runAndKeep()
                try? await Task.sleep(for: self.interval)
            }
        }
    }

    /// One run: probes every policy, stores the results, raises and resolves alerts.
    @discardableResult
    func runAndKeep(now: Int64 = WallClock.unixMicros()) async -> [PolicyProbeResult] {
        let results = await self.probeAll(runAt: now)
        do {
            try await self.store.appendProbeResults(results)
        } catch {
            self.logger.error("Policy probe results could not be stored", metadata: ["error.message": "\(error)"])
        }
        await self.alert(on: results)
        return results
    }

    /// The results of probing every policy in force once.
    func probeAll(runAt: Int64) async -> [PolicyProbeResult] {
        var results: [PolicyProbeResult] = []
        for policy in self.book.current.policies {
            for probe in await self.probes(of: policy) {
                results.append(
                    PolicyProbeResult(
                        runAt: runAt,
                        instanceID: self.instanceID,
                        policyID: policy.id,
                        probe: probe.name,
                        passed: probe.passed,
                        expected: probe.expected,
                        observed: probe.observed
                    )
                )
            }
        }
        return results
    }

    /// What one probe found.
    struct Outcome: Sendable, Equatable {
        var name: String
        var passed: Bool
        var expected: String
        var observed: String
    }

    /// Every probe of `policy`.
    func probes(of policy: Policy) async -> [Outcome] {
        var outcomes: [Outcome] = []
        let principal = Principal(
            keyID: policy.scope.key ?? KeyID("keel-policy-probe"),
            orgID: policy.scope.org,
            teamID: policy.scope.team,
            projectID: nil,
            userID: nil,
            allowedModels: [],
            isAdmin: false
        )
        let registered = self.gateway.registry.order.filter { Self.inScope(policy, $0) }
        if !policy.models.deny.isEmpty {
            let names = registered + policy.models.deny.map(Self.concrete)
            if let model = names.first(where: { name in Self.inScope(policy, name) && !policy.models.permits(name) }) {
                outcomes.append(self.admissionProbe("models.deny", model: model, principal: principal))
            }
        }
        if !policy.models.allow.isEmpty {
            let names = registered + [Self.syntheticModel]
            if let model = names.first(where: { name in Self.inScope(policy, name) && !policy.models.permits(name) }) {
                outcomes.append(self.admissionProbe("models.allow", model: model, principal: principal))
            }
        }
        if !policy.providers.isEmpty || !policy.regions.isEmpty || policy.baaRequired {
            outcomes.append(
                self.routingProbe(policy, models: registered.filter(policy.models.permits), principal: principal)
            )
        }
        let model =
            registered.first(where: policy.models.permits) ?? policy.scope.model.map(Self.concrete)
            ?? Self.syntheticModel
        let effective = self.book.current.effective(
            org: principal.orgID,
            team: principal.teamID,
            key: principal.keyID,
            model: model
        )
        for (name, rule) in [("pii", policy.pii), ("secrets", policy.secrets)] {
            guard let rule else { continue }
            outcomes += self.contentProbes(name, rule: rule, model: model, policy: effective)
        }
        if policy.keepBodies {
            outcomes.append(await self.bodiesProbe(model: model, principal: principal, policy: effective))
        }
        if let rule = policy.injection {
            for role in rule.roles.roles {
                outcomes.append(self.injectionProbe(rule, role: role, model: model, policy: effective))
            }
        }
        return outcomes
    }

    // MARK: Models and routing

    /// `model` asked for by `principal`: admission must refuse it.
    private func admissionProbe(_ name: String, model: String, principal: Principal) -> Outcome {
        let expected = "'\(model)' refused (policy_violation)"
        do {
            _ = try self.gateway.policy(for: principal, model: model)
            return Outcome(name: name, passed: false, expected: expected, observed: "'\(model)' admitted")
        } catch {
            return Outcome(
                name: name,
                passed: error.code == .policyViolation,
                expected: expected,
                observed: "'\(model)' refused (\(error.metricLabel)): \(error.message)"
            )
        }
    }

    /// The deployments the router may try for each model of `models` asked for by `principal`:
    /// only those `policy` allows.
    private func routingProbe(_ policy: Policy, models: [String], principal: Principal) -> Outcome {
        let own = EffectivePolicy([policy])
        var rules: [String] = []
        if !policy.providers.isEmpty { rules.append("providers") }
        if !policy.regions.isEmpty { rules.append("regions \(policy.regions.joined(separator: ", "))") }
        if policy.baaRequired { rules.append("baa_required") }
        let expected =
            "only deployments allowed by \(rules.joined(separator: ", ")) may be tried, fallbacks included; none left: refused"
        guard !models.isEmpty else {
            return Outcome(
                name: "routing",
                passed: true,
                expected: expected,
                observed: "no configured model is in the policy's scope"
            )
        }
        var passed = true
        var observed: [String] = []
        for model in models {
            let effective: EffectivePolicy
            do {
                effective = try self.gateway.policy(for: principal, model: model)
            } catch {
                observed.append("\(model): refused at admission (\(error.metricLabel))")
                continue
            }
            let admissible = self.gateway.router.candidates(for: model, policy: effective)
            let deployments = admissible.entries.indices.flatMap { index in
                let entry = admissible.entries[index]
                return entry.deployments.indices.filter { admissible.allowed?[index][$0] != false }.map {
                    entry.deployments[$0]
                }
            }
            let outcome =
                deployments.isEmpty ? "refused (\(admissible.refusal?.metricLabel ?? "model_not_found"))" : "routable"
            let forbidden = deployments.filter { own.refusal(provider: $0.compliance) != nil }
            if !forbidden.isEmpty { passed = false }
            let names = deployments.map { "\($0.compliance.name)/\($0.upstreamModel)" }
            var line = "\(model): may try [\(names.joined(separator: ", "))], \(outcome)"
            if !forbidden.isEmpty {
                line +=
                    "; FORBIDDEN: "
                    + forbidden.map { "\($0.compliance.name)/\($0.upstreamModel)" }.joined(separator: ", ")
            }
            observed.append(line)
        }
        return Outcome(name: "routing", passed: passed, expected: expected, observed: observed.joined(separator: "; "))
    }

    // MARK: Content

    /// A request carrying a sample of every type `rule` covers, and (for `block` and `redact`) an
    /// answer carrying them.
    private func contentProbes(_ kind: String, rule: ContentRule, model: String, policy: EffectivePolicy) -> [Outcome] {
        let samples = rule.types.types.map { ($0, PolicyProbeSamples.sample($0)) }
        let text = samples.map(\.1.sentence).joined(separator: " ")
        let body = Self.chatBody(model: model, messages: [("user", text)])
        let screening = self.contentGuard.screen(body, shape: .openAIChat, policy: policy, answers: true, maxDepth: 64)
        let name = "\(kind).\(rule.action.rawValue)"
        let typeNames = rule.types.types.map(\.rawValue).joined(separator: ", ")
        var outcomes: [Outcome] = []
        switch rule.action {
        case .block:
            let expected = "a request with \(typeNames) refused (content_policy_violation)"
            if let refusal = screening.refusal {
                outcomes.append(
                    Outcome(
                        name: name,
                        passed: refusal.code == .contentPolicyViolation,
                        expected: expected,
                        observed: "refused: \(refusal.message)"
                    )
                )
            } else {
                let found = screening.verdict.findings.map(\.type.rawValue)
                outcomes.append(
                    Outcome(
                        name: name,
                        passed: false,
                        expected: expected,
                        observed: "forwarded; found: [\(found.joined(separator: ", "))]"
                    )
                )
            }
        case .redact:
            let expected = "a request with \(typeNames) forwarded with placeholders, none of the values"
            if let refusal = screening.refusal {
                outcomes.append(
                    Outcome(
                        name: name,
                        passed: true,
                        expected: expected,
                        observed: "refused by a stricter rule: \(refusal.message)"
                    )
                )
            } else {
                let forwarded = String(buffer: screening.body ?? body)
                let leaked = samples.filter { forwarded.contains(JSONWriter.quoted($0.1.value).dropFirst().dropLast()) }
                    .map(\.0.rawValue)
                let observed =
                    leaked.isEmpty
                    ? "forwarded without the values"
                    : "forwarded with the values of [\(leaked.joined(separator: ", "))]"
                outcomes.append(Outcome(name: name, passed: leaked.isEmpty, expected: expected, observed: observed))
            }
        case .log:
            let expected = "every type of \(typeNames) found and counted"
            let found = Set(screening.verdict.findings.map(\.type))
            let missed = rule.types.types.filter { !found.contains($0) }.map(\.rawValue)
            let observed = missed.isEmpty ? "found every type" : "missed [\(missed.joined(separator: ", "))]"
            outcomes.append(Outcome(name: name, passed: missed.isEmpty, expected: expected, observed: observed))
        }
        guard rule.action != .log else { return outcomes }
        // The answer: the same values, written by the model.
        let answerName = name + ".answer"
        let expected =
            rule.action == .block ? "an answer with \(typeNames) refused" : "an answer with \(typeNames) redacted"
        guard let session = screening.session else {
            let why = screening.refusal != nil ? "the request was refused already" : "no answer rule in force"
            return outcomes + [
                Outcome(name: answerName, passed: screening.refusal != nil, expected: expected, observed: why)
            ]
        }
        var verdict = GuardVerdict()
        switch session.screenComplete(Self.chatAnswer(model: model, text: text), dialect: .openAI, verdict: &verdict) {
        case .failure(let refusal):
            outcomes.append(
                Outcome(name: answerName, passed: true, expected: expected, observed: "refused: \(refusal.message)")
            )
        case .success(let answer):
            let delivered = String(buffer: answer)
            let leaked = samples.filter { delivered.contains(JSONWriter.quoted($0.1.value).dropFirst().dropLast()) }
                .map(\.0.rawValue)
            let passed = rule.action == .redact && leaked.isEmpty
            let observed =
                leaked.isEmpty
                ? "delivered without the values" : "delivered with the values of [\(leaked.joined(separator: ", "))]"
            outcomes.append(Outcome(name: answerName, passed: passed, expected: expected, observed: observed))
        }
        return outcomes
    }

    /// A request's bodies kept: the policies in force keep them, and they seal and open again
    /// with the organisation's key (nothing is stored).
    private func bodiesProbe(model: String, principal: Principal, policy: EffectivePolicy) async -> Outcome {
        let org = principal.orgID?.rawValue ?? "requests without an organisation"
        let expected = "the bodies kept, sealed with the key of \(org), and opened again"
        guard policy.keepsBodies else {
            return Outcome(name: "keep_bodies", passed: false, expected: expected, observed: "not kept")
        }
        guard let vault = self.vault else {
            return Outcome(name: "keep_bodies", passed: false, expected: expected, observed: "no body store")
        }
        let body = Self.chatBody(model: model, messages: [("user", "Keep this request: probe.")])
        let answer = Self.chatAnswer(model: model, text: "Kept.")
        var record = RequestRecord(
            id: RequestID("probe-" + String(UInt64.random(in: .min ... .max), radix: 16)),
            startedAt: WallClock.unixMicros(),
            operation: "chat.completions",
            keyID: principal.keyID,
            orgID: principal.orgID,
            teamID: principal.teamID,
            requestedModel: model,
            status: 200,
            outcome: .success,
            totalMicros: 0
        )
        record.keptBodies = KeptBodies(prompt: body, answer: answer)
        do {
            let sealed = try await vault.seal(record, record.keptBodies!)
            guard let opened = try await vault.open(sealed) else {
                return Outcome(
                    name: "keep_bodies",
                    passed: false,
                    expected: expected,
                    observed: "sealed with \(sealed.keyID), which does not open them"
                )
            }
            let same =
                opened.prompt == Array(body.readableBytesView) && opened.answer == Array(answer.readableBytesView)
            return Outcome(
                name: "keep_bodies",
                passed: same,
                expected: expected,
                observed: same ? "sealed with \(sealed.keyID) and opened again" : "opened to other bytes"
            )
        } catch {
            return Outcome(name: "keep_bodies", passed: false, expected: expected, observed: "failed: \(error)")
        }
    }

    /// A jailbreak in a message of `role`.
    private func injectionProbe(
        _ rule: InjectionRule,
        role: ContentRole,
        model: String,
        policy: EffectivePolicy
    ) -> Outcome {
        let text = PolicyProbeSamples.injection
        let messages: [(String, String)] =
            switch role {
            case .user: [("user", text)]
            case .system: [("system", text), ("user", "Hello.")]
            case .assistant: [("user", "Hello."), ("assistant", text)]
            case .tool: [("user", "Summarise the page."), ("tool", text)]
            }
        let body = Self.chatBody(model: model, messages: messages)
        let screening = self.contentGuard.screen(body, shape: .openAIChat, policy: policy, answers: false, maxDepth: 64)
        let name = "injection.\(rule.action.rawValue).\(role.rawValue)"
        let score = screening.verdict.injection.map { " (score \($0.score))" } ?? ""
        switch rule.action {
        case .block:
            let expected = "a jailbreak in \(role.rawValue) content refused (content_policy_violation)"
            if let refusal = screening.refusal {
                return Outcome(name: name, passed: true, expected: expected, observed: "refused: \(refusal.message)")
            }
            return Outcome(name: name, passed: false, expected: expected, observed: "forwarded\(score)")
        case .flag:
            let expected = "a jailbreak in \(role.rawValue) content flagged"
            if let refusal = screening.refusal {
                return Outcome(
                    name: name,
                    passed: true,
                    expected: expected,
                    observed: "refused by a stricter rule: \(refusal.message)"
                )
            }
            let flagged = screening.verdict.injection?.flagged ?? false
            return Outcome(
                name: name,
                passed: flagged,
                expected: expected,
                observed: (flagged ? "flagged" : "not flagged") + score
            )
        }
    }

    /// An OpenAI chat request; a `tool` message answers a call the assistant made before it.
    static func chatBody(model: String, messages: [(role: String, content: String)]) -> ByteBuffer {
        var json = #"{"model":"# + JSONWriter.quoted(model) + #","messages":["#
        json += messages.map { message in
            switch message.role {
            case "tool":
                #"{"role":"assistant","content":null,"tool_calls":[{"id":"call_probe","type":"function","function":{"name":"fetch","arguments":"{}"}}]},"#
                    + #"{"role":"tool","tool_call_id":"call_probe","content":"# + JSONWriter.quoted(message.content)
                    + "}"
            default:
                #"{"role":"# + JSONWriter.quoted(message.role) + #","content":"# + JSONWriter.quoted(message.content)
                    + "}"
            }
        }.joined(separator: ",")
        return ByteBuffer(string: json + "]}")
    }

    /// An OpenAI chat completion whose answer is `text`.
    static func chatAnswer(model: String, text: String) -> ByteBuffer {
        ByteBuffer(
            string: #"{"id":"chatcmpl-probe","object":"chat.completion","created":0,"model":"#
                + JSONWriter.quoted(model)
                + #","choices":[{"index":0,"message":{"role":"assistant","content":"# + JSONWriter.quoted(text)
                + #"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}"#
        )
    }

    /// Whether `policy` applies to requests naming `model` (its scope's model pattern).
    static func inScope(_ policy: Policy, _ model: String) -> Bool {
        policy.scope.model.map { NamePattern.matches($0, model) } ?? true
    }

    /// A name `pattern` matches.
    static func concrete(_ pattern: String) -> String {
        pattern.replacing("*", with: "keel-probe")
    }

    // MARK: Alerts

    /// Fires `policy_probe_failed` for each failing probe not firing yet, and resolves those that
    /// pass again (or whose policy is gone).
    private func alert(on results: [PolicyProbeResult]) async {
        let now = WallClock.unixMicros()
        let notifications = self.firing.withLock { firing -> [AlertNotification] in
            var notifications: [AlertNotification] = []
            var failing: Set<String> = []
            for result in results where !result.passed {
                let key = result.policyID + "|" + result.probe
                failing.insert(key)
                guard firing[key] == nil else { continue }
                let notification = AlertNotification(
                    rule: "policy_probe_failed",
                    severity: .page,
                    status: .firing,
                    labels: ["policy": result.policyID, "probe": result.probe, "instance": self.instanceID],
                    value: 1,
                    threshold: 0,
                    details: [:],
                    summary:
                        "Policy '\(result.policyID)' failed its probe \(result.probe): expected \(result.expected); observed \(result.observed).",
                    startsAtMicros: now
                )
                firing[key] = notification
                notifications.append(notification)
            }
            for (key, notification) in firing where !failing.contains(key) {
                firing[key] = nil
                var resolved = notification
                resolved.status = .resolved
                resolved.endsAtMicros = now
                resolved.summary =
                    "Policy '\(notification.labels["policy"] ?? "")' passes its probe \(notification.labels["probe"] ?? "") again."
                notifications.append(resolved)
            }
            return notifications
        }
        for notification in notifications where notification.status == .firing {
            self.logger.critical(
                "A policy probe failed",
                metadata: [
                    "keel.policy.id": "\(notification.labels["policy"] ?? "")",
                    "keel.probe": "\(notification.labels["probe"] ?? "")",
                ]
            )
        }
        await self.alerts?.deliver(notifications)
    }

    /// Probes failing now, as `policy|probe`.
    var failingProbes: Set<String> { self.firing.withLock { Set($0.keys) } }
}
