import Dispatch
import HTTPTypes
import Hummingbird
import KeelCore
import KeelStorage
import Logging
import OTel
import ServiceLifecycle
import Synchronization
import Tracing

/// The data plane's OpenTelemetry tracer, its batch span processor and OTLP/HTTP exporter
/// (docs/adr/0010-opentelemetry-traces.md).
///
/// Built only when `tracing` is on; the gateway holds `nil` otherwise and its request path makes
/// no span. The tracer is an instance of this app, never bootstrapped into the process-global
/// `InstrumentationSystem`, so tests run many gateways, traced or not, in one process.
///
/// - Run it in the app's `ServiceGroup`, before the HTTP server in its list, so it is
///   stopped after the server has finished the requests in flight: on graceful shutdown the
///   processor exports every span it holds, then the exporter closes.
/// - Finished spans wait in a queue of `max_queue_size`; when it is full, new spans are dropped
///   and counted in ``drops`` (request records are never dropped).
final class GatewayTracing: Service, Sendable {
    /// swift-otel's tracer, and its processor and exporter, run by ``run()``.
    private final class Backend: Sendable {
        let tracer: any Tracer
        let service: any Service

        init(tracer: any Tracer, service: any Service) {
            self.tracer = tracer
            self.service = service
        }
    }

    /// Released by hand, on a Dispatch thread (see `deinit`).
    private let backend: Unmanaged<Backend>

    var tracer: any Tracer { self.backend._withUnsafeGuaranteedRef { $0.tracer } }
    let drops: TracingDrops
    /// `server.address` / `server.port` of each provider, by name.
    let upstreamAddresses: [String: UpstreamAddress]
    /// The bytes of prompt, and of answer, put on a chat request's span (`tracing.capture_content`);
    /// `nil` when contents are not captured.
    let contentLimit: Int?

    struct UpstreamAddress: Sendable {
        let host: String
        let port: Int
    }

    /// - Throws: swift-otel's configuration error (e.g. a missing client certificate file).
    init(configuration: KeelConfiguration.Tracing, upstreamAddresses: [String: UpstreamAddress], logger: Logger) throws
    {
        let drops = TracingDrops()
        var diagnostics = logger
        diagnostics.handler = TracingDiagnosticsLogHandler(inner: logger, drops: drops)
        let (tracer, service) = try OTel.makeTracingBackend(
            configuration: Self.otelConfiguration(configuration, diagnostics: diagnostics)
        )
        self.backend = Unmanaged.passRetained(Backend(tracer: tracer, service: service))
        self.drops = drops
        self.upstreamAddresses = upstreamAddresses
        self.contentLimit = configuration.captureContent ? configuration.contentMaxBytes : nil
    }

    /// Runs the batch processor and the exporter until graceful shutdown, then exports the spans
    /// still held and closes the exporter.
    func run() async throws {
        try await self.backend.takeUnretainedValue().service.run()
    }

    deinit {
        // swift-otel's OTLP/HTTP exporter calls AsyncHTTPClient's `syncShutdown()` in its deinit
        // (a backstop; it is shut down already), which traps on an event-loop thread — and with
        // NIO as Swift concurrency's executor (`keel serve`) every task runs on one. The backend
        // is held unmanaged, so this is its only release, and it happens on a Dispatch thread.
        let backend = self.backend
        DispatchQueue.global().async { backend.release() }
    }

    /// swift-otel's configuration for `configuration`: traces only, W3C trace context, OTLP/HTTP.
    ///
    /// swift-otel applies the process's `OTEL_*` variables over it again; Keel has already
    /// applied the same variables by the same rules (`KeelConfiguration.Tracing.applyEnvironment`),
    /// so that changes nothing, and it also honours the exporter variables Keel does not read
    /// (`OTEL_EXPORTER_OTLP_TIMEOUT`, `_COMPRESSION`, `_CERTIFICATE`, `OTEL_RESOURCE_ATTRIBUTES`).
    static func otelConfiguration(_ configuration: KeelConfiguration.Tracing, diagnostics: Logger) -> OTel.Configuration
    {
        var otel = OTel.Configuration.default
        otel.serviceName = configuration.serviceName
        otel.diagnosticLogger = .custom(diagnostics)
        otel.diagnosticLogLevel = .info
        otel.propagators = [.traceContext]
        otel.logs.enabled = false
        otel.metrics.enabled = false
        otel.traces.enabled = true
        otel.traces.exporter = .otlp
        otel.traces.sampler =
            switch configuration.sampler {
            case .alwaysOn: .alwaysOn
            case .alwaysOff: .alwaysOff
            case .traceIDRatio(let ratio): .traceIDRatio(ratio: ratio) ?? .traceIDRatio
            case .parentBasedAlwaysOn: .parentBasedAlwaysOn
            case .parentBasedAlwaysOff: .parentBasedAlwaysOff
            case .parentBasedTraceIDRatio(let ratio): .parentBasedTraceIDRatio(ratio: ratio) ?? .parentBasedTraceIDRatio
            }
        var batch = otel.traces.batchSpanProcessor
        batch.maxQueueSize = configuration.maxQueueSize
        batch.maxExportBatchSize = min(configuration.maxExportBatchSize, configuration.maxQueueSize)
        batch.scheduleDelay = configuration.scheduleDelay
        batch.exportTimeout = configuration.exportTimeout
        otel.traces.batchSpanProcessor = batch
        // Set explicitly, the endpoint is used as it is (Keel has appended `/v1/traces` already
        // where the specification says to).
        otel.traces.otlpExporter.endpoint = configuration.endpoint
        otel.traces.otlpExporter.headers = configuration.headers.map { ($0.name, $0.value.withExposedValue { $0 }) }
        otel.traces.otlpExporter.protocol =
            switch configuration.exportProtocol {
            case .httpProtobuf: .httpProtobuf
            case .httpJSON: .httpJSON
            }
        return otel
    }

    /// Starts the span of a request admitted for `operation`, joining the trace of the client's
    /// `traceparent` / `tracestate` when it sent them.
    func startRequest(_ request: Request, operation: String) -> RequestTrace {
        var context = InstrumentationContext.topLevel
        self.tracer.extract(request.headers, into: &context, using: HTTPFieldsExtractor())
        let span = self.tracer.startSpan(operation, context: context, ofKind: .server, at: DefaultTracerClock.now)
        if let host = request.head.authority {
            span.attributes[SpanAttributeName.serverAddress] = String(host.prefix { $0 != ":" })
        }
        let genAIOperation = Self.genAIOperation(operation)
        return RequestTrace(
            tracing: self,
            span: span,
            operation: genAIOperation,
            contentLimit: genAIOperation == "chat" ? self.contentLimit : nil
        )
    }

    /// The `gen_ai.operation.name` of a record's operation.
    static func genAIOperation(_ operation: String) -> String {
        switch operation {
        case "chat.completions", "messages": "chat"
        case "mcp.tools/call": "execute_tool"
        default: operation
        }
    }

    /// An ended agent task as one span, from its start to its end: `invoke_agent {agent}`, with
    /// `gen_ai.operation.name` `invoke_agent`, `gen_ai.agent.id`, the agent's version, the task's
    /// id and outcome (a failed task's span has status error).
    func recordTask(_ task: AgentTaskRow, agentID: String?, outcome: AgentTask.Outcome, endedAt: Int64) {
        let agent = agentID ?? task.agentID
        let start = UnixInstant(micros: task.startedAt ?? task.createdAt)
        let span = self.tracer.startSpan(
            agent.map { "invoke_agent \($0)" } ?? "invoke_agent",
            context: .topLevel,
            ofKind: .internal,
            at: start
        )
        var attributes = SpanAttributes()
        attributes[SpanAttributeName.operation] = "invoke_agent"
        if let agent { attributes[SpanAttributeName.agentID] = agent }
        if let version = task.agentVersion { attributes["gen_ai.agent.version"] = version }
        attributes[SpanAttributeName.taskID] = task.id
        attributes["keel.task.outcome"] = outcome.rawValue
        if let team = task.teamID { attributes[SpanAttributeName.teamID] = team.rawValue }
        span.attributes.merge(attributes)
        if outcome == .failure {
            span.attributes[SpanAttributeName.errorType] = "task_failed"
            span.setStatus(SpanStatus(code: .error, message: "task_failed"))
        }
        span.end(at: UnixInstant(micros: max(endedAt, task.startedAt ?? task.createdAt)))
    }

    /// A point in time from Unix microseconds, for spans that did not start now.
    struct UnixInstant: TracerInstant {
        var nanosecondsSinceEpoch: UInt64

        init(micros: Int64) {
            self.nanosecondsSinceEpoch = UInt64(max(0, micros)) * 1_000
        }

        static func < (lhs: Self, rhs: Self) -> Bool { lhs.nanosecondsSinceEpoch < rhs.nanosecondsSinceEpoch }
    }

    /// The lines of `/metrics` about tracing.
    func prometheusText() -> String {
        """
        # HELP keel_tracing_spans_dropped_total Spans not exported: the export queue was full, or their export failed.
        # TYPE keel_tracing_spans_dropped_total counter
        keel_tracing_spans_dropped_total{reason="queue_full"} \(self.drops.queueFull)
        keel_tracing_spans_dropped_total{reason="export_failed"} \(self.drops.exportFailed)

        """
    }
}

/// Reads `traceparent` and `tracestate` from a request's headers.
struct HTTPFieldsExtractor: Extractor {
    func extract(key: String, from carrier: HTTPFields) -> String? {
        HTTPField.Name(key).flatMap { carrier[$0] }
    }
}

/// Writes `traceparent` and `tracestate` into the headers of an upstream request.
struct HeaderListInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout [(name: String, value: String)]) {
        carrier.append((key, value))
    }
}
