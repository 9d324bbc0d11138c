import Hummingbird
import KeelCore
import KeelProviders
import Logging
import NIOCore

/// How a ``StreamRelay`` continues a stream cut after content reached the client
/// (`models[].stream_resume`).
protocol StreamResuming: Sendable {
    /// The opened stream, its pipe wrapped so that it keeps a transcript of what the client
    /// receives. Call once, before the relay starts.
    func watch(_ start: StreamStart) -> StreamStart

    /// Continues the stream relayed through `pipe` when it was cut, on another deployment.
    ///
    /// Called when the relay's loop has ended, with the failure it ended on (`nil` when the
    /// upstream body simply ended). When the stream was cut after text, and neither the total
    /// timeout nor the client ended it, the continuation is routed, its events are written to
    /// `writer` in the client's dialect, `pipe` becomes the continuation's (so the relay ends the
    /// stream, or fails it, through it) and `record` names the deployment that finished it.
    ///
    /// - Returns: the failure the relay ends the stream with: the continuation's, `nil` when it
    ///   completed, or `failure` unchanged when the stream is not resumed.
    func resume(
        after failure: KeelError?,
        pipe: inout any StreamPipe,
        record: inout RequestRecord,
        writer: inout any ResponseBodyWriter,
        clientGone: inout Bool
    ) async -> KeelError?
}

/// Resume mode for a client speaking `Client`, whose bytes `Transcriber` reads back.
///
/// What the client has received is read back from the very bytes sent to it (decoded with its
/// own dialect), so pass-through and translated streams are handled alike. Only a stream whose
/// content so far is text is resumed, once per request: a cut tool call or reasoning block
/// cannot be continued safely, and such a stream ends with the error event as before. The
/// continuation request is ``KeelCore/ChatRequest/continuation(of:partialTokens:asPrefill:)``
/// (a prefill for Anthropic upstreams, the partial answer plus
/// ``KeelCore/ChatRequest/continueInstruction`` for the others); it is routed like any request
/// to the model (retries, breakers, fallbacks), skipping the deployment that cut the stream,
/// and its events are encoded by a copy of the client's encoder that has replayed the partial
/// answer, so the client sees no second opening (`role` chunk, `message_start`, block start) and
/// one terminator.
struct StreamResume<Client: ChatClientDialect, Transcriber: ChatUpstreamDialect>: StreamResuming {
    let router: UpstreamRouter
    /// The client's request in canonical form.
    let request: Decoded<ChatRequest>
    /// The model name the client sent, written in the client's events.
    let clientModel: String
    let started: ContinuousClock.Instant
    let totalTimeout: Duration
    let logger: Logger
    /// The request's spans (tracing on): the continuation's attempts are spans of their own.
    var trace: RequestTrace? = nil
    /// The policies of the request: the continuation goes only where the request could.
    var policy = EffectivePolicy([])

    func watch(_ start: StreamStart) -> StreamStart {
        var pipe = TranscribingPipe(inner: start.pipe, decoder: Transcriber.makeStreamDecoder())
        pipe.record(start.pending)
        return StreamStart(pending: start.pending, pipe: pipe, rest: start.rest, contentAt: start.contentAt)
    }

    func resume(
        after failure: KeelError?,
        pipe: inout any StreamPipe,
        record: inout RequestRecord,
        writer: inout any ResponseBodyWriter,
        clientGone: inout Bool
    ) async -> KeelError? {
        guard !clientGone, var transcribing = pipe as? TranscribingPipe<Transcriber.StreamDecoder> else {
            return failure
        }
        let accounting = transcribing.accounting
        let cut: KeelError
        if let failure {
            cut = failure
        } else if !accounting.isComplete {
            cut =
                accounting.sawErrorEvent || accounting.sawMalformedEvent ? .upstreamBadResponse() : .streamInterrupted()
        } else {
            return nil
        }
        guard Self.isResumable(cut), ContinuousClock.now - self.started < self.totalTimeout,
            transcribing.transcript.isResumable,
            let request = try? self.request.get()
        else { return failure }

        // An event the client has only in part (its last line ended, the blank line did not
        // come) would swallow the first event of the continuation: end it.
        if transcribing.transcript.tail == .afterLine {
            let newline = ByteBuffer(string: "\n")
            transcribing.record(newline)
            guard await writer.deliver(newline) else {
                clientGone = true
                return failure
            }
        }
        let transcript = transcribing.transcript
        let cutProvider = record.provider
        let cutDeployment = record.deployment
        let cutLog = Self.cutLog(
            record,
            cut: cut,
            relayedMicros: (ContinuousClock.now - self.started).microseconds - (record.upstreamMicros ?? 0)
        )
        let partialUsage = Self.partialUsage(accounting.usage, transcript: transcript)
        let resumedAt = ContinuousClock.now
        self.logger.debug(
            "Resuming a cut stream",
            metadata: [
                LogKey.provider: "\(cutProvider ?? "")", LogKey.deployment: "\(cutDeployment ?? "")",
                LogKey.errorType: "\(cut.metricLabel)",
            ]
        )
        let clientModel = self.clientModel
        let routed: UpstreamRouter.Routed<StreamStart>
        do {
            routed = try await self.router.route(
                model: record.requestedModel,
                skip: { $0.provider.name == cutProvider && $0.upstreamModel == cutDeployment },
                firstTokenAt: { $0.contentAt },
                trace: self.trace,
                resumed: true,
                policy: self.policy,
                holdsStream: { _ in true },
                logger: self.logger
            ) { deployment in
                try await Self.continuation(
                    of: transcript,
                    usage: partialUsage,
                    request: request,
                    clientModel: clientModel,
                    on: deployment
                )
            }
        } catch let unresumed as UpstreamRouter.Failure {
            record.attempts += unresumed.attempts
            record.attemptLog = cutLog + unresumed.attemptLog
            return failure ?? cut
        } catch {
            clientGone = true
            return failure
        }

        record.attempts += routed.attempts
        var continued = routed.attemptLog
        if continued.isEmpty {
            let deployment = routed.deployment
            continued = [
                RequestRecord.Attempt(
                    provider: deployment.provider.name,
                    deployment: deployment.upstreamModel,
                    durationMicros: (ContinuousClock.now - resumedAt).microseconds
                )
            ]
        }
        continued[continued.count - 1].resumed = true
        record.attemptLog = cutLog + continued
        record.model = routed.model.name
        record.provider = routed.deployment.provider.name
        record.deployment = routed.deployment.upstreamModel

        pipe = routed.value.pipe
        return await self.relay(routed.value, pipe: &pipe, writer: &writer, clientGone: &clientGone)
    }

    /// Writes the continuation to the client until it ends; returns the failure it ended on.
    private func relay(
        _ start: StreamStart,
        pipe: inout any StreamPipe,
        writer: inout any ResponseBodyWriter,
        clientGone: inout Bool
    ) async -> KeelError? {
        guard await writer.deliver(start.pending) else {
            clientGone = true
            return nil
        }
        guard let rest = start.rest else { return nil }
        while true {
            let chunk: ByteBuffer?
            do {
                chunk = try await rest.iterator.next()
            } catch {
                guard let failure = UpstreamTransportError.classify(error) else {
                    clientGone = true
                    return nil
                }
                return failure.code == .upstreamTimeout ? failure : .streamInterrupted()
            }
            guard let chunk else {
                clientGone = !(await writer.deliver(pipe.end()))
                return nil
            }
            guard await writer.deliver(pipe.process(chunk)) else {
                clientGone = true
                return nil
            }
            if ContinuousClock.now - self.started > self.totalTimeout {
                return .upstreamTimeout("total")
            }
        }
    }

    /// One continuation attempt on `deployment`: the continuation request in its dialect, its
    /// stream opened up to its first content through a ``SplicePipe``.
    static func continuation(
        of transcript: StreamTranscript,
        usage: TokenUsage,
        request: ChatRequest,
        clientModel: String,
        on deployment: ModelRegistry.Deployment
    ) async throws -> StreamStart {
        guard let upstream = ChatDialects.upstream(deployment.provider.dialect) else {
            throw DeploymentCannotServe(
                error: .invalidRequest("Provider '\(deployment.provider.name)' cannot continue a stream.")
            )
        }
        return try await Self.continuation(
            of: transcript,
            usage: usage,
            request: request,
            clientModel: clientModel,
            on: deployment,
            upstream: upstream
        )
    }

    private static func continuation<Upstream: ChatUpstreamDialect>(
        of transcript: StreamTranscript,
        usage: TokenUsage,
        request: ChatRequest,
        clientModel: String,
        on deployment: ModelRegistry.Deployment,
        upstream: Upstream.Type
    ) async throws -> StreamStart {
        let provider = deployment.provider
        let continuation = request.continuation(
            of: transcript.text,
            partialTokens: transcript.contentEvents,
            asPrefill: provider.dialect == .anthropic
        )
        if let refusal = Gateway.unservable(continuation, by: provider) { throw DeploymentCannotServe(error: refusal) }
        let body: ByteBuffer
        do {
            body = try Upstream.encodeRequest(continuation, upstreamModel: deployment.upstreamModel)
        } catch {
            throw DeploymentCannotServe(error: error)
        }
        let response = try await provider.send(
            UpstreamRequest(operation: .chatCompletions, model: deployment.upstreamModel, body: body, stream: true)
        )
        // The client's encoder, brought to where the client's stream stands by replaying what it
        // received (the bytes go nowhere): its next event continues the open text block.
        var encoder = Client.makeStreamEncoder(for: request, model: clientModel)
        var replayed = ByteBuffer()
        encoder.encode(.start(id: transcript.startID ?? "", model: clientModel), into: &replayed)
        encoder.encode(.textDelta(transcript.text), into: &replayed)
        let pipe = SplicePipe(
            decoder: Upstream.makeStreamDecoder(),
            encoder: encoder,
            trimLeadingWhitespace: transcript.text.last?.isWhitespace ?? false,
            partialUsage: usage
        )
        return try await StreamStart.open(response, pipe: pipe)
    }

    /// Failures after which the rest of the answer may come from elsewhere: the upstream broke,
    /// stalled past its idle timeout, or sent an error or a malformed event. A refusal by a
    /// budget or a client that left are final (the total timeout is checked by the caller).
    static func isResumable(_ failure: KeelError) -> Bool {
        switch failure.code {
        case .streamInterrupted, .upstreamBadResponse, .upstreamTimeout: true
        default: false
        }
    }

    /// The attempt log up to the cut: the routing's own, whose last entry is the stream that was
    /// cut, or one entry for the single attempt. The cut attempt gets the cut's class, and the
    /// time it streamed after routing (`relayedMicros`) is added to its duration.
    private static func cutLog(_ record: RequestRecord, cut: KeelError, relayedMicros: Int64) -> [RequestRecord.Attempt]
    {
        var log = record.attemptLog
        if log.isEmpty {
            log = [
                RequestRecord.Attempt(
                    provider: record.provider ?? "",
                    deployment: record.deployment ?? "",
                    durationMicros: record.upstreamMicros ?? 0
                )
            ]
        }
        log[log.count - 1].errorClass = cut.metricLabel
        log[log.count - 1].durationMicros += max(0, relayedMicros)
        return log
    }

    /// What the cut attempt used, as far as it is known: the usage its upstream reported before
    /// the cut (Anthropic's `message_start` carries the input), with at least one output token per
    /// content event the client received.
    static func partialUsage(_ reported: TokenUsage?, transcript: StreamTranscript) -> TokenUsage {
        var usage = reported ?? .zero
        usage.outputTokens = max(usage.outputTokens, Int64(transcript.contentEvents))
        return usage
    }
}

extension Gateway {
    /// Resume mode for a stream of `Ingress`'s client, when the model the client asked for has
    /// `stream_resume` on; `nil` otherwise.
    func streamResume<Ingress: ChatIngress>(
        _ ingress: Ingress.Type,
        _ canonical: Decoded<ChatRequest>,
        record: RequestRecord,
        started: ContinuousClock.Instant,
        totalTimeout: Duration,
        trace: RequestTrace? = nil,
        policy: EffectivePolicy = EffectivePolicy([])
    ) -> (any StreamResuming)? {
        guard self.registry.entries[record.requestedModel]?.streamResume == true,
            let transcriber = ChatDialects.upstream(Ingress.dialect)
        else { return nil }
        return self.streamResume(
            client: Ingress.ClientDialect.self,
            transcriber: transcriber,
            canonical,
            record: record,
            started: started,
            totalTimeout: totalTimeout,
            trace: trace,
            policy: policy
        )
    }

    private func streamResume<Client: ChatClientDialect, Transcriber: ChatUpstreamDialect>(
        client: Client.Type,
        transcriber: Transcriber.Type,
        _ canonical: Decoded<ChatRequest>,
        record: RequestRecord,
        started: ContinuousClock.Instant,
        totalTimeout: Duration,
        trace: RequestTrace?,
        policy: EffectivePolicy
    ) -> any StreamResuming {
        StreamResume<Client, Transcriber>(
            router: self.router,
            request: canonical,
            clientModel: record.requestedModel,
            started: started,
            totalTimeout: totalTimeout,
            logger: self.logger,
            trace: trace,
            policy: policy
        )
    }
}
