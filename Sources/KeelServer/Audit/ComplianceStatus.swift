import Hummingbird
import KeelCore
import KeelStorage
import Logging

/// The compliance frameworks Keel maps its controls to.
enum ComplianceFramework: String, Sendable, CaseIterable {
    case soc2
    case hipaa
    case euAIAct = "eu-ai-act"
}

/// One control of a framework and the automated check that shows it.
struct ComplianceControl: Sendable {
    let framework: ComplianceFramework
    /// The framework's own reference: `CC7.2`, `§164.312(b)`, `Art. 12`.
    let reference: String
    let title: String
    let check: ComplianceCheck.Name
}

/// What one automated check found.
struct ComplianceCheck: Sendable, Equatable {
    enum Name: String, Sendable, CaseIterable {
        case auditLogIntegrity = "audit_log_integrity"
        case auditCompleteness = "audit_completeness"
        case checkpointFreshness = "audit_checkpoint_fresh"
        case ingressEncryption = "ingress_encryption"
        case upstreamEncryption = "upstream_encryption"
        case authentication
        case recordRetention = "record_retention"
        case hipaaRetention = "hipaa_retention"
        case phiRouting = "phi_routing"
        case modelPolicies = "model_policies"
        case policyProbes = "policy_probes"
        case incidentResponse = "incident_response"
    }

    enum Status: String, Sendable {
        case pass
        case fail
        case notApplicable = "not_applicable"
    }

    let name: Name
    let status: Status
    /// Why, in a sentence an auditor can act on.
    let reason: String
}

/// The controls Keel maps, and the checks that run for them, over the live configuration and
/// store (`GET /admin/v1/compliance/status`, and the evidence packs' control mapping).
struct ComplianceStatus: Sendable {
    let configuration: KeelConfiguration
    let stores: KeelStores
    let signer: NoteSigner
    let completeness: AuditCompletenessMonitor?
    /// The policies in force, when the caller has read them already (an evidence pack).
    var policies: [Policy]? = nil

    /// The playbooks in force: the defaults, replaced by the configuration's, replaced by the
    /// stored ones (as a running gateway merges them).
    static func playbooksInForce(_ configuration: KeelConfiguration, stores: KeelStores) async throws -> [Playbook] {
        var byID: [String: Playbook] = [:]
        for playbook in Playbook.defaults + configuration.incidents.playbooks + (try await stores.incidents.playbooks())
        {
            byID[playbook.id] = playbook
        }
        return byID.values.sorted { $0.id < $1.id }
    }

    static let controls: [ComplianceControl] = [
        .init(
            framework: .soc2,
            reference: "CC6.1",
            title: "Logical access: every request and admin call authenticated",
            check: .authentication
        ),
        .init(
            framework: .soc2,
            reference: "CC6.7",
            title: "Transmission of data encrypted: ingress",
            check: .ingressEncryption
        ),
        .init(
            framework: .soc2,
            reference: "CC6.7",
            title: "Transmission of data encrypted: upstream providers",
            check: .upstreamEncryption
        ),
        .init(
            framework: .soc2,
            reference: "CC7.2",
            title: "System activity monitored: complete audit log",
            check: .auditCompleteness
        ),
        .init(
            framework: .soc2,
            reference: "CC7.2",
            title: "System activity monitored: tamper-evident audit log",
            check: .auditLogIntegrity
        ),
        .init(
            framework: .soc2,
            reference: "CC8.1",
            title: "Changes recorded: signed checkpoints current",
            check: .checkpointFreshness
        ),
        .init(
            framework: .soc2,
            reference: "C1.1",
            title: "Confidential data only to approved models and providers",
            check: .modelPolicies
        ),
        .init(
            framework: .soc2,
            reference: "CC4.1",
            title: "Controls evaluated continuously: policy probes pass",
            check: .policyProbes
        ),
        .init(
            framework: .hipaa,
            reference: "§164.312(a)(1)",
            title: "Access control: PHI only to providers under a BAA",
            check: .phiRouting
        ),
        .init(
            framework: .hipaa,
            reference: "§164.312(b)",
            title: "Audit controls: every request and change logged",
            check: .auditCompleteness
        ),
        .init(
            framework: .hipaa,
            reference: "§164.312(c)(1)",
            title: "Integrity: the log proves it was not altered",
            check: .auditLogIntegrity
        ),
        .init(
            framework: .hipaa,
            reference: "§164.312(d)",
            title: "Person or entity authentication",
            check: .authentication
        ),
        .init(
            framework: .hipaa,
            reference: "§164.312(e)(1)",
            title: "Transmission security: ingress",
            check: .ingressEncryption
        ),
        .init(
            framework: .hipaa,
            reference: "§164.312(e)(1)",
            title: "Transmission security: upstream providers",
            check: .upstreamEncryption
        ),
        .init(
            framework: .hipaa,
            reference: "§164.316(b)(2)",
            title: "Documentation kept six years",
            check: .hipaaRetention
        ),
        .init(
            framework: .hipaa,
            reference: "§164.308(a)(8)",
            title: "Evaluation: the technical safeguards tested periodically",
            check: .policyProbes
        ),
        .init(
            framework: .euAIAct,
            reference: "Art. 12",
            title: "Automatic recording of events over the system's lifetime",
            check: .auditCompleteness
        ),
        .init(
            framework: .euAIAct,
            reference: "Art. 12",
            title: "Logs protected against alteration",
            check: .auditLogIntegrity
        ),
        .init(
            framework: .euAIAct,
            reference: "Art. 19, 26(6)",
            title: "Logs kept at least six months",
            check: .recordRetention
        ),
        .init(
            framework: .euAIAct,
            reference: "Art. 72",
            title: "Post-market monitoring: signed checkpoints current",
            check: .checkpointFreshness
        ),
        .init(
            framework: .euAIAct,
            reference: "Art. 9(6)",
            title: "Risk measures tested: policy probes pass",
            check: .policyProbes
        ),
        .init(
            framework: .soc2,
            reference: "CC7.3, CC7.4",
            title: "Security events evaluated as incidents and responded to with a defined program",
            check: .incidentResponse
        ),
        .init(
            framework: .hipaa,
            reference: "§164.308(a)(6)",
            title: "Security incident procedures: identified, responded to, documented",
            check: .incidentResponse
        ),
        .init(
            framework: .euAIAct,
            reference: "Art. 73",
            title: "Serious incidents reported within their deadlines",
            check: .incidentResponse
        ),
    ]

    /// Runs every check the controls of `framework` (all when `nil`) need, once each.
    func checks(for framework: ComplianceFramework?) async -> [ComplianceCheck.Name: ComplianceCheck] {
        let names = Set(Self.controls.filter { framework == nil || $0.framework == framework }.map(\.check))
        // The policies in force, read once for every check that needs them.
        let policies: Result<[Policy], any Error>
        do {
            policies = .success(try await self.policiesInForce())
        } catch {
            policies = .failure(error)
        }
        var results: [ComplianceCheck.Name: ComplianceCheck] = [:]
        for name in ComplianceCheck.Name.allCases where names.contains(name) {
            do {
                results[name] = try await self.evaluate(name, policies: policies)
            } catch {
                results[name] = ComplianceCheck(
                    name: name,
                    status: .fail,
                    reason: "The check could not read the store: \(error)."
                )
            }
        }
        return results
    }

    private func evaluate(
        _ name: ComplianceCheck.Name,
        policies: Result<[Policy], any Error>
    ) async throws -> ComplianceCheck {
        switch name {
        case .auditLogIntegrity:
            guard let latest = try await self.stores.audit.latestCheckpoint() else {
                return .init(name: name, status: .fail, reason: "No signed checkpoint is stored.")
            }
            guard let checkpoint = try? AuditCheckpoint.verified(latest.note, by: self.signer.verifierKey) else {
                return .init(
                    name: name,
                    status: .fail,
                    reason: "The latest checkpoint does not verify with the log's key."
                )
            }
            let head = try await self.stores.audit.head()
            guard checkpoint.size <= head.size else {
                return .init(
                    name: name,
                    status: .fail,
                    reason: "The log holds \(head.size) entries, fewer than the \(checkpoint.size) signed."
                )
            }
            let proof = try await MerkleProof.consistency(
                oldSize: checkpoint.size,
                newSize: head.size,
                from: self.stores.audit
            )
            if checkpoint.size > 0 {
                do {
                    try MerkleProof.verifyConsistency(
                        oldSize: checkpoint.size,
                        newSize: head.size,
                        oldRoot: checkpoint.rootHash,
                        newRoot: head.rootHash,
                        proof: proof
                    )
                } catch {
                    return .init(
                        name: name,
                        status: .fail,
                        reason: "The log is not consistent with its checkpoint of size \(checkpoint.size)."
                    )
                }
            }
            return .init(
                name: name,
                status: .pass,
                reason:
                    "The checkpoint of size \(checkpoint.size) verifies with \(self.signer.verifierKey) and the log of \(head.size) entries extends it; `keel audit verify` rechecks every entry."
            )
        case .auditCompleteness:
            if let gap = self.completeness?.gap {
                return .init(name: name, status: .fail, reason: "The audit log is incomplete: \(gap).")
            }
            return .init(
                name: name,
                status: .pass,
                reason:
                    "Every request record and admin change is written with its entry in one transaction; the completeness monitor found no gap."
            )
        case .checkpointFreshness:
            guard let latest = try await self.stores.audit.latestCheckpoint() else {
                return .init(name: name, status: .fail, reason: "No signed checkpoint is stored.")
            }
            let head = try await self.stores.audit.head()
            let age = WallClock.unixMicros() - latest.signedAt
            let allowed = Int64(self.configuration.compliance.audit.checkpointIntervalMs) * 2_000 + 10_000_000
            if head.size > latest.treeSize && age > allowed {
                return .init(
                    name: name,
                    status: .fail,
                    reason:
                        "\(head.size - latest.treeSize) entries wait for a checkpoint; the latest was signed \(age / 1_000_000) s ago."
                )
            }
            return .init(
                name: name,
                status: .pass,
                reason: "The latest checkpoint (size \(latest.treeSize)) was signed \(age / 1_000_000) s ago."
            )
        case .ingressEncryption:
            let server = self.configuration.server
            if let tls = server.tls {
                return .init(
                    name: name,
                    status: .pass,
                    reason: "The gateway terminates TLS (\(tls.minimumVersion.rawValue) minimum)."
                )
            }
            if ["127.0.0.1", "::1", "localhost"].contains(server.host) {
                return .init(
                    name: name,
                    status: .notApplicable,
                    reason: "Plain HTTP on loopback only (\(server.host)): traffic never leaves the host."
                )
            }
            return .init(
                name: name,
                status: .fail,
                reason: "The gateway listens on \(server.host) without TLS: set server.tls."
            )
        case .upstreamEncryption:
            var plain: [String] = []
            var loopback: [String] = []
            for provider in self.configuration.providers where provider.kind != .simulator {
                guard let url = provider.baseURL, url.lowercased().hasPrefix("http://") else { continue }
                let host = url.dropFirst("http://".count).prefix { $0 != "/" && $0 != ":" }
                if ["127.0.0.1", "localhost", "[::1]"].contains(String(host)) {
                    loopback.append(provider.name)
                } else {
                    plain.append(provider.name)
                }
            }
            if !plain.isEmpty {
                return .init(
                    name: name,
                    status: .fail,
                    reason: "Providers reached over plain HTTP: \(plain.joined(separator: ", "))."
                )
            }
            let note = loopback.isEmpty ? "" : " (\(loopback.joined(separator: ", ")) on loopback)"
            return .init(name: name, status: .pass, reason: "Every upstream is reached over HTTPS\(note).")
        case .authentication:
            return .init(
                name: name,
                status: .pass,
                reason:
                    "Every data-plane and admin request needs a key (or an mTLS identity mapped to one); keys are stored hashed and can expire or be revoked."
            )
        case .recordRetention:
            let compliance = self.configuration.compliance
            let short = compliance.orgs.filter { compliance.retentionDays(of: $0) < 183 }.map(\.org.rawValue)
            if compliance.retentionDays < 183 || !short.isEmpty {
                let who =
                    compliance.retentionDays < 183
                    ? "records are kept \(compliance.retentionDays) days"
                    : "organisations kept less: \(short.joined(separator: ", "))"
                return .init(name: name, status: .fail, reason: "Under the six months of the EU AI Act: \(who).")
            }
            return .init(
                name: name,
                status: .pass,
                reason:
                    "Records kept \(compliance.retentionDays) days, organisations' own at least that; the audit log \(compliance.auditRetentionDays) days."
            )
        case .hipaaRetention:
            let compliance = self.configuration.compliance
            let hipaa = compliance.orgs.filter(\.hipaa)
            guard !hipaa.isEmpty else {
                return .init(
                    name: name,
                    status: .notApplicable,
                    reason: "No organisation is marked hipaa in compliance.orgs."
                )
            }
            let short = hipaa.filter {
                compliance.retentionDays(of: $0) < KeelConfiguration.Compliance.hipaaRetentionDays
            }
            if !short.isEmpty {
                return .init(
                    name: name,
                    status: .fail,
                    reason:
                        "HIPAA organisations kept under six years: \(short.map(\.org.rawValue).joined(separator: ", "))."
                )
            }
            return .init(
                name: name,
                status: .pass,
                reason: "Every HIPAA organisation's records and the audit log are kept six years or more."
            )
        case .phiRouting:
            let hipaa = self.configuration.compliance.orgs.filter(\.hipaa)
            guard !hipaa.isEmpty else {
                return .init(
                    name: name,
                    status: .notApplicable,
                    reason: "No organisation is marked hipaa in compliance.orgs."
                )
            }
            let policies = try policies.get()
            let unprotected = hipaa.filter { org in
                !policies.contains {
                    $0.baaRequired && ($0.scope.org == nil || $0.scope.org == org.org) && $0.scope.team == nil
                        && $0.scope.key == nil && $0.scope.model == nil
                }
            }
            if !unprotected.isEmpty {
                return .init(
                    name: name,
                    status: .fail,
                    reason:
                        "HIPAA organisations without a baa_required policy over all their requests: \(unprotected.map(\.org.rawValue).joined(separator: ", "))."
                )
            }
            return .init(
                name: name,
                status: .pass,
                reason: "Every HIPAA organisation's requests go only to providers with baa: true, fallbacks included."
            )
        case .modelPolicies:
            let policies = try policies.get()
            guard !policies.isEmpty else {
                return .init(
                    name: name,
                    status: .notApplicable,
                    reason: "No policies: every configured model and provider may be used."
                )
            }
            return .init(
                name: name,
                status: .pass,
                reason: "\(policies.count) policies restrict models, providers, regions or content on the request path."
            )
        case .incidentResponse:
            let incidents = self.configuration.incidents
            guard incidents.enabled else {
                return .init(name: name, status: .fail, reason: "Incident response is off (incidents.enabled: false).")
            }
            guard !(incidents.webhooks ?? self.configuration.monitoring.webhooks).isEmpty || !incidents.onCall.isEmpty
            else {
                return .init(
                    name: name,
                    status: .fail,
                    reason:
                        "Incidents are detected but nobody is told: no incidents.webhooks, monitoring.webhooks or on_call target."
                )
            }
            let playbooks = try await Self.playbooksInForce(self.configuration, stores: self.stores)
            let uncovered = IncidentCategory.allCases.filter { category in
                !playbooks.contains { $0.enabled && !$0.dryRun && $0.category == category }
            }
            guard uncovered.isEmpty else {
                return .init(
                    name: name,
                    status: .fail,
                    reason: "No enabled playbook for \(uncovered.map(\.rawValue).joined(separator: ", "))."
                )
            }
            let now = WallClock.unixMicros()
            let overdue = try await self.stores.incidents.incidentsWithRunningClocks().filter { incident in
                incident.clocks.contains { $0.isOverdue(at: now) }
            }
            guard overdue.isEmpty else {
                return .init(
                    name: name,
                    status: .fail,
                    reason: "Regulatory reports overdue: \(overdue.map(\.id).joined(separator: ", "))."
                )
            }
            return .init(
                name: name,
                status: .pass,
                reason:
                    "Detections open incidents with playbooks for all seven categories, receivers are told, and no regulatory report is overdue."
            )
        case .policyProbes:
            let policies = try policies.get()
            guard !policies.isEmpty else {
                return .init(name: name, status: .notApplicable, reason: "No policies in force: nothing to probe.")
            }
            let probes = self.configuration.compliance.probes
            guard probes.enabled else {
                return .init(
                    name: name,
                    status: .fail,
                    reason:
                        "Policy probes are off (compliance.probes.enabled): the policies in force are not shown to work."
                )
            }
            let latest = try await self.stores.policies.latestProbeResults()
            guard let runAt = latest.first?.runAt else {
                return .init(name: name, status: .fail, reason: "No policy probe has run yet.")
            }
            let age = WallClock.unixMicros() - runAt
            if age > Int64(probes.intervalMs) * 2_000 + 60_000_000 {
                return .init(
                    name: name,
                    status: .fail,
                    reason:
                        "The latest probe run is \(age / 1_000_000) s old; probes run every \(probes.intervalMs / 1_000) s."
                )
            }
            let failed = latest.filter { !$0.passed }
            if !failed.isEmpty {
                let names = failed.prefix(5).map { "\($0.policyID) \($0.probe)" }.joined(separator: ", ")
                return .init(
                    name: name,
                    status: .fail,
                    reason: "\(failed.count) of \(latest.count) probes failed in the latest run: \(names)."
                )
            }
            let probed = Set(latest.map(\.policyID))
            let unprobed = policies.filter { !probed.contains($0.id) }.map(\.id)
            if !unprobed.isEmpty {
                return .init(
                    name: name,
                    status: .fail,
                    reason:
                        "Policies in force without a probe result in the latest run: \(unprobed.prefix(5).joined(separator: ", "))."
                )
            }
            return .init(
                name: name,
                status: .pass,
                reason: "All \(latest.count) probes of \(probed.count) policies passed \(age / 1_000_000) s ago."
            )
        }
    }

    /// The policies in force: ``policies`` when given, else the configuration's and those made
    /// through the admin API, read from the store.
    private func policiesInForce() async throws -> [Policy] {
        if let policies = self.policies { return policies }
        return try await PolicyBook.inForce(
            self.configuration,
            stores: self.stores,
            logger: Logger(label: "keel.compliance")
        )
    }
}

extension ComplianceStatus {
    /// `{"framework", "generated_at", "summary": {pass, fail, not_applicable}, "controls": [{framework,
    /// reference, title, check, status, reason}]}` for `framework` (every framework when `nil`).
    func json(for framework: ComplianceFramework?) async -> String {
        let results = await self.checks(for: framework)
        var counts: [ComplianceCheck.Status: Int] = [:]
        var controls: [String] = []
        for control in Self.controls where framework == nil || control.framework == framework {
            guard let result = results[control.check] else { continue }
            counts[result.status, default: 0] += 1
            var item = #"{"framework":""# + control.framework.rawValue + #"","reference":"#
            JSONWriter.appendString(control.reference, to: &item)
            item += #","title":"#
            JSONWriter.appendString(control.title, to: &item)
            item +=
                #","check":""# + control.check.rawValue + #"","status":""# + result.status.rawValue + #"","reason":"#
            JSONWriter.appendString(result.reason, to: &item)
            controls.append(item + "}")
        }
        var body = #"{"framework":"# + (framework.map { #""\#($0.rawValue)""# } ?? "null")
        body +=
            #","generated_at":\#(WallClock.unixMicros() / 1_000_000),"summary":{"pass":\#(counts[.pass] ?? 0),"fail":\#(counts[.fail] ?? 0),"not_applicable":\#(counts[.notApplicable] ?? 0)}"#
        return body + #","controls":["# + controls.joined(separator: ",") + "]}"
    }
}

extension AuditAPI {
    /// `GET /admin/v1/compliance/status?framework=soc2|hipaa|eu-ai-act`: every mapped control
    /// with pass, fail or not applicable, and why.
    func complianceStatus(_ request: Request, status: ComplianceStatus) async throws -> Response {
        try self.authorizeAuditor(request)
        var framework: ComplianceFramework?
        if let text = request.uri.queryParameters["framework"] {
            guard let value = ComplianceFramework(rawValue: String(text)) else {
                throw KeelError.invalidRequest(
                    "Invalid 'framework': one of soc2, hipaa, eu-ai-act.",
                    param: "framework"
                )
            }
            framework = value
        }
        return Gateway.json(await status.json(for: framework))
    }
}
