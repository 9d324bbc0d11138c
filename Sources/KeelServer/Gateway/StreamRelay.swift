import Hummingbird
import KeelCore
import KeelProviders
import NIOCore
import Synchronization

/// Relays one upstream stream to the client as it arrives, through a ``StreamPipe`` that passes it
/// through or translates it, watching it for TTFT, usage and completeness, and records the request
/// when the stream ends, however it ends.
///
/// - Complete stream: recorded as `success` with the upstream's exact usage.
/// - Upstream breaks, stalls past the idle timeout, sends an error or malformed event, or ends
///   without its terminator: the client gets an error event in its dialect, the record says
///   `interrupted`.
/// - Client goes away: the upstream call is cancelled (its body is dropped), the record says
///   `cancelled`.
struct StreamRelay: Sendable {
    var record: RequestRecord
    let started: ContinuousClock.Instant
    let totalTimeout: Duration
    let prices: PriceCatalog
    let recorder: RequestRecorder
    /// The request's budget and rate-limit reservations: a stream that outgrows them asks for
    /// more, and is ended with the refusal when a limit says no.
    let holds: AdmissionHolds
    /// Tells the deployment's breaker that the stream failed after its first token.
    var lateFailure: (@Sendable (UpstreamFailureKind) -> Void)? = nil
    /// The client's request body, read for an estimate of its prompt tokens only when the
    /// upstream never reports usage.
    var requestBody: ByteBuffer? = nil
    /// The request's spans (tracing on): the stream's attempt ends with the upstream stream, the
    /// request's once the client has the last byte.
    var trace: RequestTrace? = nil
    /// The digest of what the client is sent (the audit log's `answer_sha256`), fed by the
    /// response's ``AnswerDigestingWriter``.
    var answerDigest: AnswerDigest? = nil
    /// The answer's tool calls, read as the client receives them (a task's step).
    var answerToolCalls: AnswerToolCalls? = nil
    /// The request's place among its agent's requests in flight: when the kill switch halts it,
    /// the upstream stream is closed and the client gets an `agent_suspended` error event.
    var flight: AgentFlight? = nil
    /// Asks reviewers about the calls of gated tools the pipe held (an agent's `approvals`);
    /// returns once they are approved, throws the denial.
    var approvalGate: (@Sendable ([StreamedToolCalls.Call]) async throws -> Void)? = nil

    /// How often a stream held for approval sends the client a comment, so that it and the
    /// proxies between do not take it for dead.
    static let approvalKeepAlive: Duration = .seconds(5)

    /// Relays `start` to `writer` and records the request. With `resume` (`models[].stream_resume`),
    /// a stream cut after content is continued on another deployment before it is ended.
    func run(_ start: StreamStart, writer: inout any ResponseBodyWriter, resume: (any StreamResuming)? = nil) async {
        var record = self.record
        var observer = start.pipe
        var failure: KeelError?
        var clientGone = false
        if let contentAt = start.contentAt {
            record.ttftMicros = (contentAt - self.started).microseconds
        }
        let haltToken = self.flight.map { flight in flight.onHalt { start.rest?.abort() } }
        defer { if let haltToken { self.flight?.removeOnHalt(haltToken) } }
        clientGone = !(await writer.deliver(start.pending))
        relay: while !clientGone, let rest = start.rest {
            let chunk: ByteBuffer?
            do {
                chunk = try await rest.iterator.next()
            } catch {
                failure =
                    UpstreamTransportError.classify(error).map {
                        $0.code == .upstreamTimeout ? $0 : .streamInterrupted()
                    } ?? .clientDisconnected
                break relay
            }
            guard let chunk else {
                clientGone = !(await writer.deliver(observer.end()))
                failure = observer.refusal
                let held = observer.heldCalls
                if failure == nil, !clientGone, !held.isEmpty, let gate = self.approvalGate {
                    failure = await Self.awaitApproval(of: held, gate: gate, writer: &writer)
                    if failure == nil { clientGone = !(await writer.deliver(observer.releaseHeld())) }
                }
                break relay
            }
            let forward = observer.process(chunk)
            if record.ttftMicros == nil && observer.accounting.sawContent {
                record.ttftMicros = (ContinuousClock.now - self.started).microseconds
            }
            guard await writer.deliver(forward) else {
                clientGone = true
                break relay
            }
            if let refusal = observer.refusal {
                failure = refusal
                break relay
            }
            if !self.holds.isEmpty,
                let refusal = await self.holds.allowStream(
                    outputTokens: observer.accounting.outputEvents,
                    step: Self.extensionStep
                )
            {
                failure = refusal
                break relay
            }
            if ContinuousClock.now - self.started > self.totalTimeout {
                failure = .upstreamTimeout("total")
                break relay
            }
        }

        // Halted by the kill switch: not the upstream's fault, and not resumed elsewhere.
        let halt = self.flight?.haltError
        if let halt { failure = halt }
        // The upstream's own fault, before a resume mends it, counts against its deployment.
        var upstreamFault = halt == nil ? failure : nil
        if halt == nil && upstreamFault == nil && !clientGone && !observer.accounting.isComplete {
            upstreamFault =
                observer.accounting.sawErrorEvent || observer.accounting.sawMalformedEvent
                ? .upstreamBadResponse() : .streamInterrupted()
        }
        if let upstreamFault, let lateFailure = self.lateFailure,
            case .failure(let kind) = AttemptOutcome(upstreamFault)
        {
            lateFailure(kind)
        }
        self.trace?.endStreamAttempt(failure: upstreamFault ?? halt)
        if let resume, halt == nil {
            failure = await resume.resume(
                after: failure,
                pipe: &observer,
                record: &record,
                writer: &writer,
                clientGone: &clientGone
            )
        }
        let accounting = observer.accounting
        record.addAnswerVerdict(observer.guardVerdict)
        if failure == nil && !clientGone && !accounting.isComplete {
            failure =
                accounting.sawErrorEvent || accounting.sawMalformedEvent
                ? .upstreamBadResponse("The upstream stream carried an error or a malformed event.")
                : .streamInterrupted()
        }
        if let usage = Self.usage(accounting, requestBody: self.requestBody) {
            record.usage = usage.usage
            record.usageEstimated = usage.estimated
            record.cost = self.prices.cost(of: usage.usage, model: record.deployment ?? record.requestedModel)
        }
        record.totalMicros = (ContinuousClock.now - self.started).microseconds
        if clientGone || failure?.code == .clientDisconnected {
            record.outcome = .cancelled
            record.errorClass = KeelError.clientDisconnected.metricLabel
            record.status = KeelError.clientDisconnected.httpStatus
        } else if let halt {
            // Cancelled in flight by the kill switch; the client is told why.
            record.outcome = .cancelled
            record.errorClass = halt.metricLabel
            try? await writer.write(observer.failure(halt))
            try? await writer.finish(nil)
        } else if let failure {
            record.outcome = .interrupted
            record.errorClass = failure.metricLabel
            try? await writer.write(observer.failure(failure))
            try? await writer.finish(nil)
        } else {
            record.outcome = .success
            let end = observer.finish()
            if end.readableBytes > 0 { try? await writer.write(end) }
            try? await writer.finish(nil)
        }
        record.finishReason = accounting.finishReason
        record.responseModel = accounting.responseModel
        self.trace?.end(record, finishReason: accounting.finishReason, responseModel: accounting.responseModel)
        self.answerDigest?.finish(&record)
        self.answerToolCalls?.finish(&record)
        await self.holds.settle(record)
        await self.recorder.record(record)
    }

    /// The usage to record: the upstream's report, or, when it never reported one or a cut stream's
    /// report shows less output than the client received (a stream cut before its final usage,
    /// Anthropic's `message_start` counts), the best estimate:
    /// the reported input or an estimate from the request, and at least one output token per
    /// content event the client received. `nil` when nothing was generated and nothing reported.
    static func usage(_ accounting: StreamAccounting, requestBody: ByteBuffer?) -> (usage: TokenUsage, estimated: Bool)?
    {
        let delivered = accounting.sawContent ? Int64(max(1, accounting.outputEvents)) : 0
        if let reported = accounting.usage, accounting.isComplete || reported.outputTokens >= delivered {
            return (reported, false)
        }
        guard accounting.usage != nil || accounting.sawContent else { return nil }
        var usage = accounting.usage ?? .zero
        if usage.inputTokens == 0, let requestBody {
            usage.inputTokens = requestBody.withUnsafeReadableBytes { PromptTokenEstimate.tokens(ofChatBody: $0) }
        }
        usage.outputTokens = max(usage.outputTokens, delivered)
        return (usage, true)
    }

    /// Waits for `gate` to decide on `calls`, sending the client a comment at once and every
    /// ``approvalKeepAlive`` meanwhile; the denial (or the cut) when not approved.
    static func awaitApproval(
        of calls: [StreamedToolCalls.Call],
        gate: @escaping @Sendable ([StreamedToolCalls.Call]) async throws -> Void,
        writer: inout any ResponseBodyWriter
    ) async -> KeelError? {
        let wake = WakeableSleep()
        let done = Mutex(false)
        let decision = Task {
            defer {
                done.withLock { $0 = true }
                wake.wake()
            }
            try await gate(calls)
        }
        let comment = ByteBuffer(string: ": keel: awaiting a reviewer's approval of a tool call\n\n")
        while !done.withLock({ $0 }) {
            _ = await writer.deliver(comment)
            await wake.sleep(until: .now + Self.approvalKeepAlive)
        }
        do {
            try await decision.value
            return nil
        } catch let error as KeelError {
            return error
        } catch {
            return .clientDisconnected
        }
    }

    /// Answer tokens a stream asks its limits for each time it outgrows its reservation.
    static let extensionStep = 1_024
}

extension ResponseBodyWriter {
    /// Sends `bytes` to the client (nothing when empty); `false` when the client is gone.
    mutating func deliver(_ bytes: ByteBuffer) async -> Bool {
        guard bytes.readableBytes > 0 else { return true }
        do {
            try await self.write(bytes)
            return true
        } catch {
            return false
        }
    }
}
