import Hummingbird
import KeelCore
import KeelProviders
import KeelStorage
import NIOCore

extension Gateway {
    /// A request admitted to the data plane: its record so far and its parsed body.
    struct Admitted<Body: Sendable>: Sendable {
        var record: RequestRecord
        /// The parsed body; the `Guard` stage replaces it when it redacts content.
        var body: Body
        let started: ContinuousClock.Instant
        /// Its reservations against budgets and rate limits, settled with its record.
        let holds: AdmissionHolds
        /// Its spans, when tracing is on; ended with its record.
        var trace: RequestTrace? = nil
        /// The compliance policies that apply to it (empty when none is configured).
        var policy = EffectivePolicy([])
        /// Its agent's registration (`nil` for a request of no agent, or of an agent name that
        /// is not registered) and its place among the agents' requests in flight, which the
        /// kill switch halts.
        var agent: Agent? = nil
        var flight: AgentFlight? = nil
    }

    /// The tokens a request may use, as the limits reserve them at admission.
    struct TokenDemand: Sendable {
        var inputTokens: Int
        /// The client's answer limit; `nil` reserves `budgets.reserve_output_tokens`.
        var maxOutputTokens: Int?
        static let none = TokenDemand(inputTokens: 0, maxOutputTokens: 0)
    }

    /// Authenticates, reads and parses the body, and checks the model against the key.
    ///
    /// An unauthenticated request is refused without a record. After authentication every
    /// failure is recorded before it is thrown, so each admitted request leaves one record.
    func admit<Body: Sendable>(
        _ request: Request,
        operation: String,
        parse: (ByteBuffer, Int) throws(KeelError) -> Body,
        demand: (Body) -> TokenDemand = { _ in .none },
        describe: (Body, inout RequestRecord) -> Void
    ) async throws -> Admitted<Body> {
        let started = ContinuousClock.now
        let principal = try self.authenticate(request)
        var record = self.newRecord(
            operation: operation,
            principal: principal,
            request: request,
            startedAt: WallClock.unixMicros()
        )
        let trace = self.tracing?.startRequest(request, operation: operation)
        do {
            try self.applyTagHeader(request, to: &record)
            let taskOutcome = try self.applyAgentHeaders(request, principal: principal, to: &record)
            let bytes = try await self.readBody(request)
            if let digesters = self.digesters, let digester = await digesters.digester(for: principal.orgID) {
                record.contentDigests = AuditEntry.ContentDigests(
                    saltID: digester.saltID,
                    prompt: digester.digest(of: bytes),
                    answer: nil
                )
            }
            var body = try parse(bytes, self.limits.maxJSONDepth)
            describe(body, &record)
            try self.resolve(record.requestedModel, for: principal)
            var agent: Agent?
            var flight: AgentFlight?
            if let agentID = record.agentID, let agents = self.agents {
                (agent, flight) = try agents.admit(agentID: agentID, principal: principal, model: record.requestedModel)
                if let agent, agent.tools != nil, let kept = try Self.offeredTools(bytes, agent: agent) {
                    // Tools outside the agent's scope were taken out: the request goes on without them.
                    body = try parse(kept, self.limits.maxJSONDepth)
                    describe(body, &record)
                }
            }
            if let taskID = record.taskID, let tasks = self.tasks {
                try tasks.admit(taskID: taskID, agent: agent, now: record.startedAt)
                if let agent {
                    try tasks.checkLoop(
                        taskID: taskID,
                        agent: agent,
                        body: bytes,
                        requestID: record.id.rawValue,
                        now: record.startedAt
                    )
                }
            }
            let policy = try self.policy(for: principal, model: record.requestedModel)
            if policy.keepsBodies { record.keptBodies = KeptBodies(prompt: bytes) }
            if let org = principal.orgID, self.strictAuditOrgs.contains(org) { try await self.logStart(of: record) }
            if let taskOutcome, let taskID = record.taskID {
                // Ended before limits and routing: the agent has said the task is over, whatever
                // becomes of this last request; a task already ended is refused (409), recorded.
                try await self.agentTasks.end(
                    AgentTaskEnd(
                        taskID: taskID,
                        agentID: record.agentID,
                        outcome: taskOutcome,
                        endedAt: record.startedAt,
                        keyID: principal.keyID,
                        teamID: principal.teamID,
                        agentVersion: agent?.version
                    )
                )
                record.taskOutcome = taskOutcome
            }
            // Refused by a limit or not, this record carries the task's outcome to monitoring.
            let holds = try await self.reserve(demand(body), for: record)
            return Admitted(
                record: record,
                body: body,
                started: started,
                holds: holds,
                trace: trace,
                policy: policy,
                agent: agent,
                flight: flight
            )
        } catch {
            // The block throws only KeelError (typed throws), so `error` is one.
            let failure: KeelError = error
            await self.recordFailure(&record, error: failure, started: started, trace: trace)
            throw RecordedFailure(error: failure, requestID: record.id.rawValue)
        }
    }

    /// Holds the tools `body` offers the model to `agent`'s `tools`: `nil` when every one is in
    /// scope, the body without the others when the agent's `offered_tools` is `remove`.
    ///
    /// - Throws: `agent_scope_violation` (403) naming the tools outside the scope when it is
    ///   `refuse`.
    static func offeredTools(_ body: ByteBuffer, agent: Agent) throws(KeelError) -> ByteBuffer? {
        let outside = OfferedTools.names(in: body).filter { !agent.mayUse(tool: $0) }
        guard !outside.isEmpty else { return nil }
        switch agent.offeredTools {
        case .refuse:
            throw .agentScopeViolation(
                "The agent '\(agent.id)' may not be offered the tools "
                    + outside.map { "'\($0)'" }.joined(separator: ", ") + ".",
                param: "tools"
            )
        case .remove:
            return OfferedTools.removing(Set(outside), from: body)
        }
    }

    /// Strict audit mode: returns once the request's `request_started` entry is durably stored;
    /// throws (503) when the store fails or does not answer within `strict_timeout_ms`.
    func logStart(of record: RequestRecord) async throws(KeelError) {
        let logged = await self.recorder.appendDurably(
            .requestStarted(.init(record)),
            time: record.startedAt,
            timeout: self.strictAuditTimeout
        )
        guard logged else {
            throw .auditUnavailable(
                "This organisation's requests are answered only once audited, and the audit log cannot be written now."
            )
        }
    }

    /// The policies that apply to a request of `principal` naming `model`; throws when one of
    /// them does not allow the model.
    func policy(for principal: Principal, model: String) throws(KeelError) -> EffectivePolicy {
        guard let policies = self.policies?.currentIfAny else { return EffectivePolicy([]) }
        let policy = policies.effective(
            org: principal.orgID,
            team: principal.teamID,
            key: principal.keyID,
            model: model
        )
        if let violation = policy.violation(model: model) { throw violation }
        return policy
    }

    /// Routes the request to its model's deployments. When every attempt fails, or the client
    /// goes away, the failure is recorded before it is thrown.
    func route<Body: Sendable, Value: Sendable>(
        _ admitted: inout Admitted<Body>,
        estimatedTokens: Int = 0,
        usedTokens: @escaping @Sendable (Value) -> Int? = { _ in nil },
        firstTokenAt: @escaping @Sendable (Value) -> ContinuousClock.Instant? = { _ in nil },
        holdsStream: @escaping @Sendable (Value) -> Bool = { _ in false },
        attempt: @escaping @Sendable (ModelRegistry.Deployment) async throws -> Value
    ) async throws -> UpstreamRouter.Routed<Value> {
        do {
            let (router, model, trace, policy, logger) = (
                self.router, admitted.record.requestedModel, admitted.trace, admitted.policy, self.logger
            )
            // A local function: its context is allocated only when it escapes (an agent's request).
            @Sendable func route() async throws -> UpstreamRouter.Routed<Value> {
                try await router.route(
                    model: model,
                    estimatedTokens: estimatedTokens,
                    usedTokens: usedTokens,
                    firstTokenAt: firstTokenAt,
                    trace: trace,
                    policy: policy,
                    holdsStream: holdsStream,
                    logger: logger,
                    attempt: attempt
                )
            }
            // An agent's request runs where the kill switch can cancel it.
            let routed: UpstreamRouter.Routed<Value>
            if let flight = admitted.flight {
                routed = try await flight.run(route)
            } else {
                routed = try await route()
            }
            admitted.record.attempts = routed.attempts
            admitted.record.attemptLog = routed.attemptLog
            admitted.record.model = routed.model.name
            admitted.record.provider = routed.deployment.provider.name
            admitted.record.deployment = routed.deployment.upstreamModel
            admitted.record.upstreamMicros = (ContinuousClock.now - admitted.started).microseconds
            return routed
        } catch let failure as UpstreamRouter.Failure {
            admitted.record.attempts = failure.attempts
            admitted.record.attemptLog = failure.attemptLog
            admitted.record.model = failure.model?.name
            admitted.record.provider = failure.deployment?.provider.name
            admitted.record.deployment = failure.deployment?.upstreamModel
            // An attempt the kill switch cut reads as a transport failure: the halt is the cause.
            let halt = admitted.flight?.haltError
            await self.recordFailure(
                &admitted.record,
                error: halt ?? failure.error,
                started: admitted.started,
                holds: admitted.holds,
                trace: admitted.trace,
                inFlight: halt != nil
            )
            throw RecordedFailure(error: halt ?? failure.error, requestID: admitted.record.id.rawValue)
        } catch {
            if let halt = admitted.flight?.haltError {
                // Cancelled by the kill switch: the client hears why.
                await self.recordFailure(
                    &admitted.record,
                    error: halt,
                    started: admitted.started,
                    holds: admitted.holds,
                    trace: admitted.trace,
                    inFlight: true
                )
                throw RecordedFailure(error: halt, requestID: admitted.record.id.rawValue)
            }
            await self.recordFailure(
                &admitted.record,
                error: .clientDisconnected,
                started: admitted.started,
                holds: admitted.holds,
                trace: admitted.trace
            )
            throw error
        }
    }

    /// Reserves `demand` against every budget and rate limit that covers the request; when one
    /// refuses, what the others reserved is released and the refusal is thrown.
    func reserve(_ demand: TokenDemand, for record: RequestRecord) async throws(KeelError) -> AdmissionHolds {
        guard !self.admissionLimits.isEmpty else { return .none }
        let output = demand.maxOutputTokens ?? self.reserveOutputTokens
        let model = record.requestedModel
        let input = demand.inputTokens
        let admission = AdmissionDemand(
            record: record,
            inputTokens: input,
            outputTokens: output,
            outputCost: { [self] tokens in self.worstCaseCost(model: model, inputTokens: input, outputTokens: tokens) },
            now: record.startedAt
        )
        var holds: [any AdmissionHold] = []
        for limit in self.admissionLimits {
            do throws(KeelError) {
                if let hold = try await limit.admit(admission) { holds.append(hold) }
            } catch {
                let refused = AdmissionHolds(holds: holds, reservedOutputTokens: output)
                var released = record
                released.status = error.httpStatus
                await refused.settle(released)
                throw error
            }
        }
        return holds.isEmpty ? .none : AdmissionHolds(holds: holds, reservedOutputTokens: output)
    }

    /// The most a request can cost: its tokens at the dearest price among the deployments of
    /// `model` and its fallbacks (a deployment without a catalog price costs nothing).
    func worstCaseCost(model: String, inputTokens: Int, outputTokens: Int) -> USDNanos {
        let usage = TokenUsage(inputTokens: Int64(inputTokens), outputTokens: Int64(outputTokens))
        var worst = USDNanos.zero
        for entry in self.registry.candidates(for: model) {
            for deployment in entry.deployments {
                worst = max(worst, self.prices.cost(of: usage, model: deployment.upstreamModel))
            }
        }
        return worst
    }

    /// Records a complete (non-streaming) success and builds its response.
    func respondComplete(
        _ record: inout RequestRecord,
        started: ContinuousClock.Instant,
        body: ByteBuffer,
        contentType: String?,
        usage: TokenUsage,
        attempts: Int,
        holds: AdmissionHolds = .none,
        trace: RequestTrace? = nil,
        dialect: APIDialect = .openAI
    ) async -> Response {
        record.usage = usage
        record.cost = self.prices.cost(of: usage, model: record.deployment ?? record.requestedModel)
        record.status = 200
        record.outcome = .success
        record.totalMicros = (ContinuousClock.now - started).microseconds
        // What the incident detectors and the task's step read of a chat answer.
        if record.operation.hasPrefix("chat") || record.operation == "messages" {
            if self.readsAnswerFacts {
                let facts = body.withUnsafeReadableBytes { AnswerFacts.read($0, dialect: dialect) }
                record.finishReason = facts.finishReason
                record.responseModel = facts.model
                self.canaryTokens?.check(complete: body, record: record)
            }
            if record.taskID != nil { record.toolName = AnswerToolCalls.names(inAnswer: body, dialect: dialect) }
        }
        self.digestAnswer(body, of: &record)
        var headers = self.responseHeaders(record, attempts: attempts)
        headers[.contentType] = contentType ?? "application/json"
        headers[.keelCost] = record.cost.decimalString
        holds.addHeaders(to: &headers)
        await holds.settle(record)
        await self.recorder.record(record)
        guard let trace else { return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: body)) }
        return Response(
            status: .ok,
            headers: headers,
            body: Self.tracedBody(body, trace: trace, record: record, dialect: dialect)
        )
    }

    /// Adds the digest of a complete answer to the record's content digests.
    /// Also keeps the answer when the request's bodies are kept.
    func digestAnswer(_ body: ByteBuffer, of record: inout RequestRecord) {
        record.keptBodies?.keepAnswer(body)
        guard record.contentDigests != nil, let digester = self.digesters?.cached(for: record.orgID) else { return }
        record.contentDigests?.answer = digester.digest(of: body)
    }

    /// The digest a streamed answer feeds, when its request has content digests; it also keeps
    /// the answer's bytes when the request's bodies are kept.
    func answerDigest(for record: RequestRecord) -> AnswerDigest? {
        let digester = record.contentDigests == nil ? nil : self.digesters?.cached(for: record.orgID)
        guard digester != nil || record.keptBodies != nil else { return nil }
        return AnswerDigest(digester, keeping: record.keptBodies != nil)
    }

    /// A complete answer's body that ends the request's span once it has been written.
    static func tracedBody(
        _ body: ByteBuffer,
        trace: RequestTrace,
        record: RequestRecord,
        dialect: APIDialect
    ) -> ResponseBody {
        let finishReason = RequestTrace.finishReason(ofComplete: body, dialect: dialect)
        trace.recordAnswer(complete: body, dialect: dialect)
        return ResponseBody(contentLength: body.readableBytes) { writer in
            defer { trace.end(record, finishReason: finishReason) }
            try await writer.write(body)
            try await writer.finish(nil)
        }
    }

    func responseHeaders(_ record: RequestRecord, attempts: Int) -> HTTPFields {
        var headers = HTTPFields()
        headers[.keelRequestID] = record.id.rawValue
        headers[.keelProvider] = record.provider
        headers[.keelAttempts] = String(attempts)
        return headers
    }
}
