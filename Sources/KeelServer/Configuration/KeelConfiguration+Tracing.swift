public import KeelCore

extension KeelConfiguration {
    /// `tracing:` — OpenTelemetry traces of the data plane, exported over OTLP/HTTP
    /// (docs/adr/0010-opentelemetry-traces.md).
    ///
    /// Off unless an endpoint is configured, in the file or by the standard variables
    /// (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`), or `enabled: true`
    /// says so. When off, the gateway builds no tracer and the request path creates no span.
    /// Prompt and answer contents are put on spans only when ``captureContent`` says so.
    public struct Tracing: Sendable {
        /// Which traces are kept, as `OTEL_TRACES_SAMPLER` names them.
        public enum Sampler: Sendable, Equatable {
            case alwaysOn
            case alwaysOff
            /// Keeps this fraction (0…1) of traces, by trace id.
            case traceIDRatio(Double)
            /// Follows the client's `traceparent` sampled flag; new traces are kept.
            case parentBasedAlwaysOn
            /// Follows the client's `traceparent` sampled flag; new traces are dropped.
            case parentBasedAlwaysOff
            /// Follows the client's `traceparent` sampled flag; new traces by ratio.
            case parentBasedTraceIDRatio(Double)
        }

        /// The OTLP encoding on the wire.
        public enum ExportProtocol: String, Sendable, CaseIterable {
            case httpProtobuf = "http/protobuf"
            case httpJSON = "http/json"
        }

        public var enabled: Bool
        /// The URL spans are posted to, used as it is (an OTLP/HTTP collector's `…/v1/traces`).
        public var endpoint: String
        /// Sent with every export (e.g. a vendor's API key): secrets.
        public var headers: [(name: String, value: Secret<String>)]
        /// The `service.name` resource attribute.
        public var serviceName: String
        public var sampler: Sampler
        public var exportProtocol: ExportProtocol
        /// Finished spans held for export at most; beyond, new spans are dropped and counted
        /// (`keel_tracing_spans_dropped_total` on `/metrics`). Records are never dropped.
        public var maxQueueSize: Int
        /// Spans per export request at most.
        public var maxExportBatchSize: Int
        /// How often held spans are exported (sooner when a full batch is ready).
        public var scheduleDelay: Duration
        /// How long one export may take before it is abandoned.
        public var exportTimeout: Duration
        /// Puts the prompt and the answer of chat requests on their spans
        /// (`gen_ai.system_instructions`, `gen_ai.input.messages`, `gen_ai.output.messages`).
        public var captureContent: Bool
        /// The bytes of content kept of each of a request's input and its output at most; the
        /// rest is cut. With ``maxQueueSize`` it bounds the memory held by spans waiting for export.
        public var contentMaxBytes: Int

        public init(
            enabled: Bool = false,
            endpoint: String = Self.defaultEndpoint,
            headers: [(name: String, value: Secret<String>)] = [],
            serviceName: String = "keel",
            sampler: Sampler = .parentBasedAlwaysOn,
            exportProtocol: ExportProtocol = .httpProtobuf,
            maxQueueSize: Int = 2_048,
            maxExportBatchSize: Int = 512,
            scheduleDelay: Duration = .seconds(5),
            exportTimeout: Duration = .seconds(30),
            captureContent: Bool = false,
            contentMaxBytes: Int = 65_536
        ) {
            self.enabled = enabled
            self.endpoint = endpoint
            self.headers = headers
            self.serviceName = serviceName
            self.sampler = sampler
            self.exportProtocol = exportProtocol
            self.maxQueueSize = maxQueueSize
            self.maxExportBatchSize = maxExportBatchSize
            self.scheduleDelay = scheduleDelay
            self.exportTimeout = exportTimeout
            self.captureContent = captureContent
            self.contentMaxBytes = contentMaxBytes
        }

        /// The OpenTelemetry default: a collector on this host.
        public static let defaultEndpoint = "http://localhost:4318/v1/traces"

        /// `base` with `/v1/traces` appended, as the specification says for
        /// `OTEL_EXPORTER_OTLP_ENDPOINT` (and Keel for `tracing.endpoint`).
        public static func tracesURL(base: String) -> String {
            base.hasSuffix("/") ? base + "v1/traces" : base + "/v1/traces"
        }
    }

    /// Reads `tracing:` {`enabled`, `endpoint` (base URL; `/v1/traces` is appended),
    /// `traces_endpoint` (used as is), `headers` (mapping, secret values), `service_name`
    /// (`keel`), `sampler` (`parentbased_always_on`), `sampler_arg` (ratio 0–1, default 1),
    /// `protocol` (`http/protobuf` | `http/json`), `max_queue_size` (2048),
    /// `max_export_batch_size` (512, at most `max_queue_size`), `schedule_delay_ms` (5000),
    /// `export_timeout_ms` (30000), `capture_content` (false), `content_max_bytes` (65536)}, then the standard OpenTelemetry variables of the
    /// environment over it (see ``Tracing/applyEnvironment(_:report:)``).
    static func readTracing(_ node: ConfigNode) -> Tracing {
        node.expectKeys([
            "enabled", "endpoint", "traces_endpoint", "headers", "service_name", "sampler", "sampler_arg", "protocol",
            "max_queue_size", "max_export_batch_size", "schedule_delay_ms", "export_timeout_ms", "capture_content",
            "content_max_bytes",
        ])
        let defaults = Tracing()
        var tracing = defaults
        var endpointGiven = false
        if let url = node.child("traces_endpoint").text {
            tracing.endpoint = url
            endpointGiven = true
        } else if let base = node.child("endpoint").text {
            tracing.endpoint = Tracing.tracesURL(base: base)
            endpointGiven = true
        }
        for name in node.child("headers").mappingKeys {
            guard let value = node.child("headers").child(name).text else { continue }
            tracing.headers.append((name, Secret(value)))
        }
        tracing.serviceName = node.child("service_name").string(default: defaults.serviceName)!
        let report = { (key: String, reason: String) in node.context.report(key, reason) }
        if let sampler = node.child("sampler").text {
            tracing.sampler =
                Tracing.sampler(
                    named: sampler,
                    argument: node.child("sampler_arg").text,
                    key: node.child("sampler").path,
                    report: report
                )
                ?? defaults.sampler
        } else if node.child("sampler_arg").isPresent {
            report(node.child("sampler_arg").path, "needs sampler: traceidratio or parentbased_traceidratio")
        }
        if let text = node.child("protocol").text {
            tracing.exportProtocol =
                Tracing.exportProtocol(text, key: node.child("protocol").path, report: report)
                ?? defaults.exportProtocol
        }
        tracing.maxQueueSize = node.child("max_queue_size").int(default: defaults.maxQueueSize, range: 1...1_000_000)
        tracing.maxExportBatchSize = node.child("max_export_batch_size").int(
            default: defaults.maxExportBatchSize,
            range: 1...1_000_000
        )
        tracing.scheduleDelay = .milliseconds(node.child("schedule_delay_ms").int(default: 5_000, range: 1...3_600_000))
        tracing.exportTimeout = .milliseconds(
            node.child("export_timeout_ms").int(default: 30_000, range: 1...3_600_000)
        )
        tracing.captureContent = node.child("capture_content").bool(default: defaults.captureContent)
        tracing.contentMaxBytes = node.child("content_max_bytes").int(
            default: defaults.contentMaxBytes,
            range: 1...(64 << 20)
        )
        let enabled = node.child("enabled")
        tracing.enabled = enabled.isPresent ? enabled.bool(default: false) : endpointGiven
        tracing.applyEnvironment(
            node.context.environment,
            explicitlyDisabled: enabled.isPresent && !tracing.enabled,
            report: report
        )
        if tracing.maxExportBatchSize > tracing.maxQueueSize {
            report(
                node.child("max_export_batch_size").path,
                "must not exceed tracing.max_queue_size (\(tracing.maxQueueSize))"
            )
        }
        return tracing
    }
}

extension KeelConfiguration.Tracing {
    /// Applies the standard OpenTelemetry variables of `environment`, which take precedence over
    /// the file (as the environment does over every file setting). Invalid values are reported
    /// with the variable's name as the key.
    ///
    /// - `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (used as is) or `OTEL_EXPORTER_OTLP_ENDPOINT`
    ///   (`/v1/traces` appended): the endpoint; either turns tracing on, unless the file says
    ///   `enabled: false`.
    /// - `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none` turn tracing off;
    ///   `OTEL_TRACES_EXPORTER` accepts only `otlp` otherwise.
    /// - `OTEL_EXPORTER_OTLP_TRACES_HEADERS` or `OTEL_EXPORTER_OTLP_HEADERS`
    ///   (`name=value,name2=value2`, values percent-decoded) replace `headers`.
    /// - `OTEL_SERVICE_NAME`; `OTEL_TRACES_SAMPLER`, `OTEL_TRACES_SAMPLER_ARG`;
    ///   `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL` or `OTEL_EXPORTER_OTLP_PROTOCOL` (`http/protobuf`,
    ///   `http/json`; `grpc` is not built in); `OTEL_BSP_MAX_QUEUE_SIZE`,
    ///   `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`, `OTEL_BSP_SCHEDULE_DELAY` and `OTEL_BSP_EXPORT_TIMEOUT`
    ///   (milliseconds).
    /// - `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`: `true` (or `span_only`,
    ///   `span_and_event`) puts prompt and answer contents on spans, `false` (or `no_content`,
    ///   `event_only`: Keel writes no events) keeps them off, over `capture_content`.
    public mutating func applyEnvironment(
        _ environment: [String: String],
        explicitlyDisabled: Bool = false,
        report: (_ key: String, _ reason: String) -> Void
    ) {
        func value(_ name: String) -> String? {
            guard let text = environment[name]?.trimmedWhitespace(), !text.isEmpty else { return nil }
            return text
        }
        if let url = value("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") {
            self.endpoint = url
            self.enabled = !explicitlyDisabled
        } else if let base = value("OTEL_EXPORTER_OTLP_ENDPOINT") {
            self.endpoint = Self.tracesURL(base: base)
            self.enabled = !explicitlyDisabled
        }
        if !Self.isHTTPURL(self.endpoint) {
            report("tracing.endpoint", "must be an http:// or https:// URL, got '\(self.endpoint)'")
        }
        if let headers = value("OTEL_EXPORTER_OTLP_TRACES_HEADERS") ?? value("OTEL_EXPORTER_OTLP_HEADERS") {
            let name =
                value("OTEL_EXPORTER_OTLP_TRACES_HEADERS") != nil
                ? "OTEL_EXPORTER_OTLP_TRACES_HEADERS" : "OTEL_EXPORTER_OTLP_HEADERS"
            if let parsed = Self.headers(parsing: headers) {
                self.headers = parsed
            } else {
                report(name, "must be name=value pairs separated by commas")
            }
        }
        if let name = value("OTEL_SERVICE_NAME") { self.serviceName = name }
        if let sampler = value("OTEL_TRACES_SAMPLER") {
            if let parsed = Self.sampler(
                named: sampler,
                argument: value("OTEL_TRACES_SAMPLER_ARG"),
                key: "OTEL_TRACES_SAMPLER",
                report: report
            ) {
                self.sampler = parsed
            }
        }
        if let text = value("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") ?? value("OTEL_EXPORTER_OTLP_PROTOCOL") {
            if let parsed = Self.exportProtocol(text, key: "OTEL_EXPORTER_OTLP_PROTOCOL", report: report) {
                self.exportProtocol = parsed
            }
        }
        let limits: [(name: String, apply: (inout Self, Int) -> Void)] = [
            ("OTEL_BSP_MAX_QUEUE_SIZE", { $0.maxQueueSize = $1 }),
            ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", { $0.maxExportBatchSize = $1 }),
            ("OTEL_BSP_SCHEDULE_DELAY", { $0.scheduleDelay = .milliseconds($1) }),
            ("OTEL_BSP_EXPORT_TIMEOUT", { $0.exportTimeout = .milliseconds($1) }),
        ]
        for limit in limits {
            guard let text = value(limit.name) else { continue }
            guard let number = Int(text), number > 0 else {
                report(limit.name, "must be a positive integer, got '\(text)'")
                continue
            }
            limit.apply(&self, number)
        }
        if let capture = value("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT") {
            switch capture.lowercased() {
            case "true", "span_only", "span_and_event": self.captureContent = true
            case "false", "no_content", "event_only": self.captureContent = false
            default:
                report(
                    "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT",
                    "must be true or false (or span_only, span_and_event, no_content, event_only), got '\(capture)'"
                )
            }
        }
        if let exporter = value("OTEL_TRACES_EXPORTER") {
            switch exporter {
            case "none": self.enabled = false
            case "otlp": break
            default: report("OTEL_TRACES_EXPORTER", "must be otlp or none, got '\(exporter)'")
            }
        }
        if value("OTEL_SDK_DISABLED")?.lowercased() == "true" { self.enabled = false }
    }

    static func sampler(
        named name: String,
        argument: String?,
        key: String,
        report: (String, String) -> Void
    ) -> Sampler? {
        var ratio = 1.0
        if let argument {
            guard let parsed = Double(argument), (0...1).contains(parsed) else {
                report(key + "_arg", "must be a number from 0 to 1, got '\(argument)'")
                return nil
            }
            ratio = parsed
        }
        switch name {
        case "always_on": return .alwaysOn
        case "always_off": return .alwaysOff
        case "traceidratio": return .traceIDRatio(ratio)
        case "parentbased_always_on": return .parentBasedAlwaysOn
        case "parentbased_always_off": return .parentBasedAlwaysOff
        case "parentbased_traceidratio": return .parentBasedTraceIDRatio(ratio)
        default:
            report(
                key,
                "must be always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off or parentbased_traceidratio, got '\(name)'"
            )
            return nil
        }
    }

    static func exportProtocol(_ text: String, key: String, report: (String, String) -> Void) -> ExportProtocol? {
        if let parsed = ExportProtocol(rawValue: text) { return parsed }
        report(
            key,
            text == "grpc"
                ? "grpc is not built into Keel: use http/protobuf (port 4318)"
                : "must be http/protobuf or http/json, got '\(text)'"
        )
        return nil
    }

    /// `name=value,name2=value2` with percent-encoded values (the W3C Baggage format the
    /// OpenTelemetry specification uses for `OTEL_EXPORTER_OTLP_HEADERS`).
    static func headers(parsing text: String) -> [(name: String, value: Secret<String>)]? {
        var headers: [(name: String, value: Secret<String>)] = []
        for pair in text.split(separator: ",") {
            guard let equals = pair.firstIndex(of: "=") else { return nil }
            let name = String(pair[..<equals]).trimmedWhitespace()
            let value = String(pair[pair.index(after: equals)...]).trimmedWhitespace()
            guard !name.isEmpty, let decoded = value.percentDecoded else { return nil }
            headers.append((name, Secret(decoded)))
        }
        return headers
    }

    /// `http://` or `https://`, then a host.
    static func isHTTPURL(_ text: String) -> Bool {
        let rest: Substring
        if text.hasPrefix("https://") {
            rest = text.dropFirst(8)
        } else if text.hasPrefix("http://") {
            rest = text.dropFirst(7)
        } else {
            return false
        }
        let host = rest.prefix { $0 != "/" && $0 != ":" }
        return !host.isEmpty && !rest.contains(where: \.isWhitespace)
    }
}
