import HTTPTypes
import Hummingbird
import KeelCore
import KeelProviders
import Logging
import NIOCore

/// The data plane: authenticates, reads the request, routes it upstream, streams the answer back
/// and hands one record per admitted request to the recorder.
///
/// One instance serves every request. A request is *admitted* once its key authenticates; from
/// then on, whatever happens (bad body, unknown model, upstream failure, client gone), exactly one
/// `RequestRecord` is produced. Unauthenticated calls are refused without a record.
public final class Gateway: Sendable {
    let keyRing: KeyRing
    let registry: ModelRegistry
    let router: UpstreamRouter
    let recorder: RequestRecorder
    let prices: PriceCatalog
    let limits: KeelConfiguration.Server
    /// Budgets and rate limits, asked in this order at admission.
    let admissionLimits: [any AdmissionLimit]
    /// Answer tokens reserved for a request that does not state its `max_tokens`.
    let reserveOutputTokens: Int
    /// The exact-match response cache; `nil` when `cache.enabled` is off.
    let responseCache: ResponseCache?
    /// Where agent tasks end, once each.
    let agentTasks: AgentTaskOutcomes
    /// OpenTelemetry traces; `nil` when `tracing` is off (the request path then makes no span).
    let tracing: GatewayTracing?
    /// Compliance policies (`policies:` and `/admin/v1/policies`); `nil` or empty, the request
    /// path does no policy work.
    let policies: PolicyBook?
    /// The agent registry, its suspensions and the agents' requests in flight; `nil` (tests
    /// without a store) admits every agent name as a label.
    let agents: AgentBook?
    /// The tasks with budgets, paused or ended by Keel, held in memory; `nil` checks no task.
    let tasks: TaskBook?
    /// Where calls of tools an agent's approvals gate wait for reviewers; `nil` gates nothing.
    let escalations: EscalationDesk?
    /// `agents.task_lease_seconds`: a claimed task's lease after its last activity.
    let taskLeaseSeconds: Int
    /// Organisations in strict audit mode: their requests are answered only once logged.
    let strictAuditOrgs: Set<OrgID>
    /// How long a strict organisation's request waits for its entry to be stored.
    let strictAuditTimeout: Duration
    /// The organisations' content-digest keys, for the audit log; `nil` digests nothing.
    let digesters: AuditDigesters?
    /// The `Guard` stage: the policies' content rules (`pii`, `secrets`, `injection`).
    let contentGuard: ContentGuard
    /// Whether complete answers' finish reason and reported model are read into their records
    /// (for the incident detectors; streams always learn them from their events).
    let readsAnswerFacts: Bool
    /// Answers searched for the canary tokens of system prompts; `nil` without tokens.
    let canaryTokens: CanaryTokenWatch?
    let logger: Logger

    init(
        keyRing: KeyRing,
        registry: ModelRegistry,
        recorder: RequestRecorder,
        prices: PriceCatalog,
        limits: KeelConfiguration.Server,
        admissionLimits: [any AdmissionLimit] = [],
        reserveOutputTokens: Int = 4_096,
        responseCache: ResponseCache? = nil,
        agentTasks: AgentTaskOutcomes,
        tracing: GatewayTracing? = nil,
        policies: PolicyBook? = nil,
        agents: AgentBook? = nil,
        tasks: TaskBook? = nil,
        escalations: EscalationDesk? = nil,
        taskLeaseSeconds: Int = 60,
        strictAuditOrgs: Set<OrgID> = [],
        strictAuditTimeout: Duration = .seconds(5),
        digesters: AuditDigesters? = nil,
        injectionThreshold: Double = 0.5,
        routeOverrides: RouteOverrides? = nil,
        readsAnswerFacts: Bool = false,
        canaryTokens: CanaryTokenWatch? = nil,
        logger: Logger
    ) {
        self.readsAnswerFacts = readsAnswerFacts
        self.canaryTokens = canaryTokens
        self.digesters = digesters
        self.policies = policies
        self.agents = agents
        self.tasks = tasks
        self.escalations = escalations
        self.taskLeaseSeconds = taskLeaseSeconds
        self.strictAuditOrgs = strictAuditOrgs
        self.strictAuditTimeout = strictAuditTimeout
        self.contentGuard = ContentGuard(injectionThreshold: injectionThreshold)
        self.agentTasks = agentTasks
        self.tracing = tracing
        self.keyRing = keyRing
        self.registry = registry
        self.router = UpstreamRouter(registry: registry, overrides: routeOverrides)
        self.recorder = recorder
        self.prices = prices
        self.limits = limits
        self.admissionLimits = admissionLimits
        self.reserveOutputTokens = reserveOutputTokens
        self.responseCache = responseCache
        self.logger = logger
    }

    /// The principal of the key in `Authorization: Bearer` or `x-api-key`.
    func authenticate(_ request: Request) throws(KeelError) -> Principal {
        guard let presented = Self.presentedKey(request) else {
            // A service on mTLS: its certificate stands for the key mapped to it.
            if self.keyRing.identifiesClients {
                let identities = request.headers[values: .keelClientCertificate]
                if !identities.isEmpty,
                    let principal = self.keyRing.authenticate(clientIdentities: identities, now: WallClock.unixMicros())
                {
                    return principal
                }
            }
            throw .unauthenticated(
                "You didn't provide an API key. Send it as 'Authorization: Bearer <key>' or 'x-api-key: <key>'."
            )
        }
        guard let principal = self.keyRing.authenticate(presented, now: WallClock.unixMicros()) else {
            throw .unauthenticated("Incorrect API key provided.")
        }
        return principal
    }

    static func presentedKey(_ request: Request) -> String? {
        if let authorization = request.headers[.authorization] {
            // `Bearer <key>`, the scheme in any case; checked on the UTF-8 bytes, since this runs
            // on every request.
            let bytes = authorization.utf8
            guard bytes.count > 7 else { return nil }
            var index = bytes.startIndex
            for expected in "bearer ".utf8 {
                let byte = bytes[index]
                guard byte == expected || (expected != 32 && byte | 0x20 == expected) else { return nil }
                index = bytes.index(after: index)
            }
            let key = Substring(authorization.utf8[index...])
            let trimmed = key.utf8.allSatisfy({ $0 != 32 && $0 != 9 }) ? String(key) : String(key).trimmedWhitespace()
            return trimmed.isEmpty ? nil : trimmed
        }
        if let key = request.headers[.xAPIKey], !key.isEmpty { return key }
        return nil
    }

    /// The request body. `GatewayHTTPServer` has already refused a body over `max_body_bytes`
    /// before reading it; the limit here guards any other way a request arrives.
    func readBody(_ request: Request) async throws(KeelError) -> ByteBuffer {
        let limit = self.limits.maxBodyBytes
        do {
            return try await request.body.collect(upTo: limit)
        } catch {
            throw .payloadTooLarge(limit: limit)
        }
    }

    /// A fresh record for an admitted request, attributed to the key's org, team, project, user
    /// and default tags, with `x-keel-project` and `x-keel-user` applied; `applyTagHeader` adds
    /// the request's own tags (it can fail, and the record must exist first).
    func newRecord(operation: String, principal: Principal, request: Request, startedAt: Int64) -> RequestRecord {
        RequestRecord(
            id: RequestID(WallClock.newRequestID(startedAt: startedAt)),
            startedAt: startedAt,
            operation: operation,
            keyID: principal.keyID,
            orgID: principal.orgID,
            teamID: principal.teamID,
            projectID: request.headers[.keelProject].map { ProjectID($0) } ?? principal.projectID,
            userID: request.headers[.keelUser].map { UserID($0) } ?? principal.userID,
            requestedModel: "",
            status: 0,
            outcome: .error,
            totalMicros: 0,
            tags: principal.defaultTags
        )
    }

    /// Overlays the `x-keel-tags` header on the record's tags; `invalidRequest` when it is malformed.
    func applyTagHeader(_ request: Request, to record: inout RequestRecord) throws(KeelError) {
        guard let header = request.headers[.keelTags] else { return }
        record.tags = try AttributionTags.overlay(record.tags, header: header)
    }

    /// Reads `x-keel-agent` and `x-keel-task` into the record, and returns the outcome of
    /// `x-keel-task-outcome` (it goes on the record only once the task's end is stored).
    ///
    /// - Throws: `invalidRequest` (400, param naming the header) for an id that is not 1–128
    ///   printable ASCII characters, an outcome other than `success` or `failure`, or an outcome
    ///   without `x-keel-task`. The ids read before the failing header stay on the record.
    func applyAgentHeaders(
        _ request: Request,
        principal: Principal,
        to record: inout RequestRecord
    ) throws(KeelError) -> AgentTask.Outcome? {
        // A bound key's requests are its agent's, refused or not.
        record.agentID = principal.agentID
        record.agentID = try Self.agentID(of: request, principal: principal)
        record.taskID = try AgentTask.validatedID(request.headers[.keelTask], name: "x-keel-task")
        let outcome = try AgentTask.validatedOutcome(request.headers[.keelTaskOutcome], name: "x-keel-task-outcome")
        if outcome != nil, record.taskID == nil {
            throw .invalidRequest(
                "'x-keel-task-outcome' needs 'x-keel-task': the task it ends.",
                param: "x-keel-task-outcome"
            )
        }
        return outcome
    }

    /// The agent a request speaks for: its key's when the key is bound to one, else the one
    /// `x-keel-agent` names.
    ///
    /// - Throws: 403 `agent_scope_violation` when a bound key names another agent; 400 for an
    ///   id that is not 1–128 printable ASCII characters.
    static func agentID(of request: Request, principal: Principal) throws(KeelError) -> String? {
        let named = try AgentTask.validatedID(request.headers[.keelAgent], name: "x-keel-agent")
        guard let bound = principal.agentID else { return named }
        // The key is the agent's: it cannot speak for another one.
        if let named, named != bound {
            throw .agentScopeViolation(
                "This key belongs to the agent '\(bound)'; it cannot act as '\(named)'.",
                param: "x-keel-agent"
            )
        }
        return bound
    }

    /// Fills in a failure, settles the request's reservations, ends its trace and hands the
    /// record over.
    func recordFailure(
        _ record: inout RequestRecord,
        error: KeelError,
        started: ContinuousClock.Instant,
        holds: AdmissionHolds = .none,
        trace: RequestTrace? = nil,
        inFlight: Bool = false
    ) async {
        record.status = error.httpStatus
        // A request the kill switch stopped in flight was cancelled, not refused.
        record.outcome = error.code == .clientDisconnected || inFlight ? .cancelled : .error
        record.errorClass = error.metricLabel
        record.totalMicros = (ContinuousClock.now - started).microseconds
        trace?.end(record)
        await holds.settle(record)
        await self.recorder.record(record)
    }

    func resolve(_ model: String, for principal: Principal) throws(KeelError) {
        guard self.registry.entries[model] != nil, principal.mayUse(model: model) else { throw .modelNotFound(model) }
    }
}

/// The failure of an admitted request, thrown once its record is written: the error the client
/// gets, and the id of the record, which the response carries as `x-keel-request-id` so that a
/// client can quote the id of a failed call.
struct RecordedFailure: Error {
    let error: KeelError
    let requestID: String
}

extension HTTPField.Name {
    static let xAPIKey = Self("x-api-key")!
    static let keelProject = Self("x-keel-project")!
    static let keelUser = Self("x-keel-user")!
    static let keelTags = Self("x-keel-tags")!
    static let keelAgent = Self("x-keel-agent")!
    static let keelTask = Self("x-keel-task")!
    static let keelTaskOutcome = Self("x-keel-task-outcome")!
    static let keelRequestID = Self("x-keel-request-id")!
    static let keelCost = Self("x-keel-cost-usd")!
    static let keelProvider = Self("x-keel-provider")!
    static let keelAttempts = Self("x-keel-attempts")!
    /// The identities of the client certificate of a TLS connection (`server.tls.client_ca_file`),
    /// written by the connection handler only; what a client sends under this name is dropped.
    static let keelClientCertificate = Self("x-keel-client-certificate")!
}
