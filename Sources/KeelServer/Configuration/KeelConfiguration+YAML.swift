import KeelCore
import KeelProviders
import KeelSimulator
import Yams

extension KeelConfiguration {
    /// Reads and validates a `keel.yaml` document. `${NAME}` and `${NAME:-default}` in values are
    /// replaced from `environment`. Throws ``ConfigurationError`` listing every problem found.
    ///
    /// ## Keys (snake_case)
    /// - `server`: `host` (string, default `127.0.0.1`), `port` (int 0–65535, default 8080),
    ///   `max_body_bytes` (int, default 8388608), `max_json_depth` (int, default 64),
    ///   `threads` (int 1–64, default 1), `tls` {`certificate_file`, `key_file` (PEM, required),
    ///   `min_version` (`1.2` | `1.3`, default `1.2`), `client_ca_file` (PEM; asks clients for
    ///   certificates), `client_certificates` (`optional` | `required`, default `optional`),
    ///   `reload_interval_ms` (default 30000)}.
    /// - `storage`: `url` (string, default `sqlite://.keel/keel.sqlite`; or
    ///   `postgres://user:pass@host:port/db[?sslmode=…]`), `schema` (PostgreSQL schema, optional),
    ///   `max_connections` (PostgreSQL pool size, default 10).
    /// - `admin_key` (secret string, optional; else `KEEL_ADMIN_KEY`, else generated once).
    /// - `providers[]`: `name` (required), `kind` (`openai` | `anthropic` | `azure` | `gemini` |
    ///   `bedrock` | `simulator`), `base_url` (required for `openai` and `azure`; defaults for the
    ///   others), `api_key` (secret), `headers` (mapping), `max_connections` (int, default 512),
    ///   `tls_ca_file`, `timeouts` {`connect_ms` 10000, `first_byte_ms` 60000, `idle_ms` 60000,
    ///   `total_ms` 600000}; `anthropic_version` (anthropic, default `2023-06-01`); `api_version`
    ///   and `entra_token` (azure); `region`, `aws_access_key_id`, `aws_secret_access_key`,
    ///   `aws_session_token` (bedrock); `simulator` {`dialect` (`openai` | `anthropic` | `gemini` |
    ///   `bedrock`, default `openai`), `models[]`: `name`, `kind` (`chat`|`embedding`),
    ///   `latency_ms`, `ttft_ms`, `tokens_per_second`, `output_tokens`, `reasoning_tokens`,
    ///   `embedding_dimensions`}.
    /// - `models[]`: `name` (required), `routes[]` {`provider`, `model`, `weight` (1), `rpm`,
    ///   `tpm`} (at least one), `fallbacks` (list of model names), `max_retries` (int), `strategy`
    ///   (`priority` | `weighted` | `least_latency` | `least_busy` | `power_of_two_choices` |
    ///   `least_cost`, default `priority`), `breaker` {`allowed_failures` 3, `failure_rate` 0.5,
    ///   `min_requests` 10, `cooldown_ms` 30000, `max_cooldown_ms` 300000}, `hedge_after_ms`
    ///   (off), `latency_objective_ms` (int 1–86400000, `least_cost` only; off), `stream_resume`
    ///   (bool, default false; needs a second route or a fallback).
    /// - `keys[]`: `key` (secret, required), `name`, `team`, `project`, `user`, `models` (list),
    ///   `client_certificate` (a client certificate identity that authenticates as this key).
    /// - `router`: `max_retries` (2), `backoff_ms` (100), `max_backoff_ms` (2000), `max_retry_after_ms` (10000).
    /// - `recorder`: `capacity` (10000), `batch_size` (500), `flush_interval_ms` (20).
    /// - `monitoring`: `max_deployment_series` (100), `max_team_series` (100), `alert_interval_ms`
    ///   (15000), `webhooks[]` {`url`, `format` json|slack}, `slos[]` {`name`, `target`, `latency`,
    ///   `threshold_ms`, selector, `group_by`}, `alerts[]` {`name`, `metric`, `window`, `above` |
    ///   `below`, `for`, `severity`, `group_by`, selector (`provider`|`model`|`deployment`|`team`),
    ///   `summary`} (see ``readMonitoring(_:)``).
    /// - `cache`: `enabled` (false), `ttl` (`1h`), `max_bytes` (134217728), `max_entry_bytes` (1048576)
    ///   (see ``readCache(_:)``); per model `models[].cache` (bool, default true).
    /// - `budgets`: `reserve_output_tokens` (4096), `slice_fraction` (0.05), `flush_interval_ms` (1000),
    ///   `lease_ttl_ms` (15000), `alert_interval_ms` (60000) (see ``readBudgets(_:)``).
    /// - `rate_limits[]`: `id`, `key`, `team`, `model`, `rpm`, `tpm`, `max_concurrent`, `window_seconds`
    ///   (60) (see ``readRateLimits(_:models:)``); `rate_limiting`: `slice_fraction` (0.1),
    ///   `sync_interval_ms` (2000), `lease_ttl_ms` (15000) (see ``readRateLimiting(_:)``).
    /// - `prices`: mapping of upstream model name → {`input`, `output`, `cached_input`, `cache_write`,
    ///   `cache_write_1h`} in dollars per million tokens, `web_search_per_thousand` in dollars per
    ///   thousand server-side web searches.
    /// - `tracing`: `enabled`, `endpoint` (`/v1/traces` appended) or `traces_endpoint` (as is),
    ///   `headers` (mapping, secret), `service_name` (`keel`), `sampler`
    ///   (`parentbased_always_on`), `sampler_arg`, `protocol` (`http/protobuf` | `http/json`),
    ///   `max_queue_size` (2048), `max_export_batch_size` (512), `schedule_delay_ms` (5000),
    ///   `export_timeout_ms` (30000); the `OTEL_*` variables apply over it (see ``readTracing(_:)``).
    /// - `guard`: `injection_threshold` (number in 0–1, default 0.5) (see ``readContentGuard(_:)``).
    /// - `agents`: `require_registration` (false), `sync_interval_ms` (1000) (see ``readAgents(_:)``);
    ///   per key `keys[].agent` (the registered agent the key belongs to).
    /// - `mcp`: `servers` [{`name`, `url`, `headers`, `timeout_ms`, `tls_ca_file`}] (see ``readMCP(_:)``).
    public static func parse(yaml: String, environment: [String: String]) throws -> KeelConfiguration {
        let context = ConfigContext(environment: environment)
        let root: Yams.Node?
        do {
            root = try Yams.compose(yaml: ConfigContext.protectExpressions(yaml))
        } catch {
            throw ConfigurationError(issues: [.init(key: "(file)", reason: "is not valid YAML: \(error)")])
        }
        let node = ConfigNode(node: root, path: "", context: context)
        node.expectKeys([
            "server", "storage", "admin_key", "providers", "models", "keys", "router", "recorder", "monitoring",
            "prices", "cache", "budgets", "rate_limits", "rate_limiting", "tracing", "policies", "compliance", "guard",
            "agents", "mcp", "incidents",
        ])

        var configuration = KeelConfiguration()
        configuration.loadedFrom = LoadedFrom(source: "inline", text: yaml)
        configuration.server = Self.readServer(node.child("server"))
        let storage = node.child("storage")
        storage.expectKeys(["url", "schema", "max_connections"])
        configuration.storage = Storage(
            url: storage.child("url").string(default: Storage().url)!,
            schema: storage.child("schema").text,
            maxConnections: storage.child("max_connections").int(default: 10, range: 1...1_000)
        )
        configuration.adminKey = node.child("admin_key").text.map { Secret($0) }
        configuration.providers = node.child("providers").elements.compactMap(Self.readProvider)
        configuration.models = node.child("models").elements.compactMap(Self.readModel)
        configuration.keys = node.child("keys").elements.compactMap(Self.readKey)
        configuration.router = Self.readRouter(node.child("router"))
        let recorder = node.child("recorder")
        recorder.expectKeys(["capacity", "batch_size", "flush_interval_ms"])
        configuration.recorder = Recorder(
            capacity: recorder.child("capacity").int(default: 10_000, range: 1...10_000_000),
            batchSize: recorder.child("batch_size").int(default: 500, range: 1...100_000),
            flushIntervalMs: recorder.child("flush_interval_ms").int(default: 20, range: 0...10_000)
        )
        configuration.monitoring = Self.readMonitoring(node.child("monitoring"))
        configuration.cache = Self.readCache(node.child("cache"))
        configuration.agents = Self.readAgents(node.child("agents"))
        configuration.mcp = Self.readMCP(node.child("mcp"))
        configuration.incidents = Self.readIncidents(
            node.child("incidents"),
            models: Set(configuration.models.map(\.name))
        )
        configuration.budgets = Self.readBudgets(node.child("budgets"))
        configuration.rateLimits = Self.readRateLimits(
            node.child("rate_limits"),
            models: Set(configuration.models.map(\.name))
        )
        configuration.policies = Self.readPolicies(node.child("policies"), providers: configuration.providers)
        configuration.contentGuard = Self.readContentGuard(node.child("guard"))
        configuration.rateLimiting = Self.readRateLimiting(node.child("rate_limiting"))
        configuration.tracing = Self.readTracing(node.child("tracing"))
        configuration.compliance = Self.readCompliance(node.child("compliance"))
        for name in node.child("prices").mappingKeys {
            let price = node.child("prices").child(name)
            price.expectKeys([
                "input", "output", "cached_input", "cache_write", "cache_write_1h", "web_search_per_thousand",
            ])
            guard let input = price.child("input").rate(), let output = price.child("output").rate() else {
                context.report(price.path, "needs input and output prices")
                continue
            }
            configuration.prices[name] = ModelPrice(
                input: input,
                output: output,
                cachedInput: price.child("cached_input").rate(),
                cacheWrite: price.child("cache_write").rate(),
                cacheWrite1h: price.child("cache_write_1h").rate(),
                // Dollars per thousand searches: the same decimal scale as per million tokens.
                webSearch: price.child("web_search_per_thousand").rate().map { USDNanos($0.microUSDPerMillionTokens) }
            )
        }
        var issues = context.issues
        issues += configuration.validationIssues()
        guard issues.isEmpty else { throw ConfigurationError(issues: issues) }
        return configuration
    }

    private static func readServer(_ node: ConfigNode) -> Server {
        node.expectKeys(["host", "port", "max_body_bytes", "max_json_depth", "threads", "tls", "key_sync_interval_ms"])
        let defaults = Server()
        return Server(
            host: node.child("host").string(default: defaults.host)!,
            port: node.child("port").int(default: defaults.port, range: 0...65_535),
            maxBodyBytes: node.child("max_body_bytes").int(default: defaults.maxBodyBytes, range: 1_024...(1 << 30)),
            maxJSONDepth: node.child("max_json_depth").int(default: defaults.maxJSONDepth, range: 4...1_024),
            threads: node.child("threads").int(default: defaults.threads, range: 1...64),
            tls: Self.readTLS(node.child("tls")),
            keySyncIntervalMs: node.child("key_sync_interval_ms").int(
                default: defaults.keySyncIntervalMs,
                range: 100...600_000
            )
        )
    }

    private static func readTLS(_ node: ConfigNode) -> TLS? {
        guard node.isPresent else { return nil }
        node.expectKeys([
            "certificate_file", "key_file", "min_version", "client_ca_file", "client_certificates",
            "reload_interval_ms",
        ])
        let certificateFile = node.child("certificate_file").requiredString()
        let keyFile = node.child("key_file").requiredString()
        let minimumVersion = node.child("min_version").choice(default: TLS.Version.tls12, allowed: [.tls12, .tls13])
        let clientCertificates = node.child("client_certificates").choice(
            default: TLS.ClientCertificates.optional,
            allowed: [.optional, .required]
        )
        guard let certificateFile, let keyFile else { return nil }
        return TLS(
            certificateFile: certificateFile,
            keyFile: keyFile,
            minimumVersion: minimumVersion,
            clientCAFile: node.child("client_ca_file").text,
            clientCertificates: clientCertificates,
            reloadIntervalMs: node.child("reload_interval_ms").int(default: 30_000, range: 100...86_400_000)
        )
    }

    private static func readRouter(_ node: ConfigNode) -> Router {
        node.expectKeys(["max_retries", "backoff_ms", "max_backoff_ms", "max_retry_after_ms"])
        let defaults = Router()
        return Router(
            maxRetries: node.child("max_retries").int(default: defaults.maxRetries, range: 0...10),
            backoffMs: node.child("backoff_ms").int(default: defaults.backoffMs, range: 0...60_000),
            maxBackoffMs: node.child("max_backoff_ms").int(default: defaults.maxBackoffMs, range: 0...600_000),
            maxRetryAfterMs: node.child("max_retry_after_ms").int(default: defaults.maxRetryAfterMs, range: 0...600_000)
        )
    }

    private static func readProvider(_ node: ConfigNode) -> Provider? {
        node.expectKeys([
            "name", "kind", "base_url", "api_key", "headers", "max_connections", "timeouts", "simulator", "tls_ca_file",
            "baa",
            "anthropic_version", "api_version", "entra_token", "region", "aws_access_key_id", "aws_secret_access_key",
            "aws_session_token",
        ])
        guard let name = node.child("name").requiredString() else { return nil }
        let kindText = node.child("kind").string(default: "openai")!
        guard let kind = Provider.Kind(rawValue: kindText) else {
            node.context.report(
                node.child("kind").path,
                "must be one of \(Provider.Kind.allCases.map(\.rawValue).joined(separator: ", ")), got '\(kindText)'"
            )
            return nil
        }
        var provider = Provider(name: name, kind: kind)
        provider.baseURL = node.child("base_url").text
        if let key = node.child("api_key").text, !key.isEmpty { provider.apiKey = Secret(key) }
        for header in node.child("headers").mappingKeys {
            if let value = node.child("headers").child(header).text { provider.headers.append((header, value)) }
        }
        provider.maxConnections = node.child("max_connections").int(default: 512, range: 1...100_000)
        provider.tlsCAFile = node.child("tls_ca_file").text
        provider.anthropicVersion = node.child("anthropic_version").text
        provider.apiVersion = node.child("api_version").text
        if let token = node.child("entra_token").text, !token.isEmpty { provider.entraToken = Secret(token) }
        provider.region = node.child("region").text
        provider.baa = node.child("baa").bool(default: false)
        provider.awsAccessKeyID = node.child("aws_access_key_id").text
        if let secret = node.child("aws_secret_access_key").text, !secret.isEmpty {
            provider.awsSecretAccessKey = Secret(secret)
        }
        if let token = node.child("aws_session_token").text, !token.isEmpty { provider.awsSessionToken = Secret(token) }
        let timeouts = node.child("timeouts")
        timeouts.expectKeys(["connect_ms", "first_byte_ms", "idle_ms", "total_ms"])
        let defaults = UpstreamTimeouts()
        provider.timeouts = UpstreamTimeouts(
            connect: timeouts.child("connect_ms").milliseconds(default: defaults.connect),
            firstByte: timeouts.child("first_byte_ms").milliseconds(default: defaults.firstByte),
            idle: timeouts.child("idle_ms").milliseconds(default: defaults.idle),
            total: timeouts.child("total_ms").milliseconds(default: defaults.total)
        )
        let simulator = node.child("simulator")
        simulator.expectKeys(["models", "dialect"])
        if let dialectText = simulator.child("dialect").text {
            if let dialect = APIDialect(rawValue: dialectText) {
                provider.simulatorDialect = dialect
            } else {
                node.context.report(
                    simulator.child("dialect").path,
                    "must be one of \(APIDialect.allCases.map(\.rawValue).joined(separator: ", ")), got '\(dialectText)'"
                )
            }
        }
        if simulator.child("models").isPresent {
            provider.simulator.models = simulator.child("models").elements.compactMap(Self.readSimulatedModel)
        }
        if kind == .openai || kind == .azure, provider.baseURL == nil {
            node.context.report(node.child("base_url").path, "is required for kind \(kind.rawValue)")
        }
        if kind == .bedrock {
            if provider.region == nil { node.context.report(node.child("region").path, "is required for kind bedrock") }
            if provider.awsAccessKeyID == nil {
                node.context.report(node.child("aws_access_key_id").path, "is required for kind bedrock")
            }
            if provider.awsSecretAccessKey == nil {
                node.context.report(node.child("aws_secret_access_key").path, "is required for kind bedrock")
            }
        }
        if let url = provider.baseURL, !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
            node.context.report(node.child("base_url").path, "must start with http:// or https://")
        }
        return provider
    }

    private static func readSimulatedModel(_ node: ConfigNode) -> SimulatedModel? {
        node.expectKeys([
            "name", "kind", "latency_ms", "ttft_ms", "tokens_per_second", "output_tokens", "reasoning_tokens",
            "embedding_dimensions",
        ])
        guard let name = node.child("name").requiredString() else { return nil }
        let kindText = node.child("kind").string(default: "chat")!
        guard let kind = SimulatedModel.Kind(rawValue: kindText) else {
            node.context.report(node.child("kind").path, "must be chat or embedding")
            return nil
        }
        var model = SimulatedModel(name: name, kind: kind)
        model.latencyMs = node.child("latency_ms").int(default: 0, range: 0...600_000)
        model.ttftMs = node.child("ttft_ms").int(default: 0, range: 0...600_000)
        model.tokensPerSecond = node.child("tokens_per_second").int(default: 0, range: 0...1_000_000)
        model.outputTokens = node.child("output_tokens").optionalInt(range: 1...1_000_000)
        model.reasoningTokens = node.child("reasoning_tokens").int(default: 0, range: 0...1_000_000)
        model.embeddingDimensions = node.child("embedding_dimensions").int(
            default: model.embeddingDimensions,
            range: 1...65_536
        )
        return model
    }

    private static func readModel(_ node: ConfigNode) -> Model? {
        node.expectKeys([
            "name", "routes", "fallbacks", "max_retries", "strategy", "breaker", "hedge_after_ms",
            "latency_objective_ms", "cache", "stream_resume",
        ])
        guard let name = node.child("name").requiredString() else { return nil }
        let routes = node.child("routes").elements.compactMap { route -> Model.Route? in
            route.expectKeys(["provider", "model", "weight", "rpm", "tpm"])
            guard let provider = route.child("provider").requiredString(),
                let model = route.child("model").requiredString()
            else { return nil }
            return Model.Route(
                provider: provider,
                model: model,
                weight: route.child("weight").int(default: 1, range: 0...1_000_000),
                rpm: route.child("rpm").optionalInt(range: 1...100_000_000),
                tpm: route.child("tpm").optionalInt(range: 1...1_000_000_000)
            )
        }
        var strategy = RoutingStrategy.priority
        if let text = node.child("strategy").text {
            if let value = RoutingStrategy(rawValue: text) {
                strategy = value
            } else {
                node.context.report(
                    node.child("strategy").path,
                    "must be one of \(RoutingStrategy.allCases.map(\.rawValue).joined(separator: ", ")), got '\(text)'"
                )
            }
        }
        let breakerNode = node.child("breaker")
        breakerNode.expectKeys(["allowed_failures", "failure_rate", "min_requests", "cooldown_ms", "max_cooldown_ms"])
        let defaults = Model.Breaker()
        var breaker = Model.Breaker(
            allowedFailures: breakerNode.child("allowed_failures").int(
                default: defaults.allowedFailures,
                range: 0...1_000
            ),
            minRequests: breakerNode.child("min_requests").int(default: defaults.minRequests, range: 1...1_000_000),
            cooldown: breakerNode.child("cooldown_ms").milliseconds(default: defaults.cooldown),
            maxCooldown: breakerNode.child("max_cooldown_ms").milliseconds(default: defaults.maxCooldown)
        )
        if let text = breakerNode.child("failure_rate").text {
            if let rate = Double(text), rate > 0, rate <= 1 {
                breaker.failureRate = rate
            } else {
                node.context.report(breakerNode.child("failure_rate").path, "must be a number in (0, 1], got '\(text)'")
            }
        }
        var model = Model(
            name: name,
            routes: routes,
            fallbacks: node.child("fallbacks").stringList(),
            maxRetries: node.child("max_retries").optionalInt(range: 0...10),
            strategy: strategy,
            breaker: breaker,
            hedgeAfter: node.child("hedge_after_ms").isPresent
                ? node.child("hedge_after_ms").milliseconds(default: .zero) : nil,
            latencyObjective: node.child("latency_objective_ms").isPresent
                ? node.child("latency_objective_ms").milliseconds(default: .zero) : nil
        )
        model.cache = node.child("cache").bool(default: true)
        model.streamResume = node.child("stream_resume").bool(default: false)
        return model
    }

    private static func readKey(_ node: ConfigNode) -> StaticKey? {
        node.expectKeys(["key", "name", "team", "project", "user", "models", "client_certificate", "agent"])
        guard let key = node.child("key").requiredString() else { return nil }
        return StaticKey(
            key: Secret(key),
            name: node.child("name").text,
            team: node.child("team").text,
            project: node.child("project").text,
            user: node.child("user").text,
            models: node.child("models").stringList(),
            clientCertificate: node.child("client_certificate").text,
            agent: Self.agentID(node.child("agent"))
        )
    }

    /// An agent id (`keys[].agent`): 1 to 128 printable ASCII characters.
    private static func agentID(_ node: ConfigNode) -> String? {
        guard let text = node.text else { return nil }
        guard AgentTask.isValidID(text) else {
            node.context.report(
                node.path,
                "must be an agent id: 1 to \(AgentTask.maxLength) printable ASCII characters"
            )
            return nil
        }
        return text
    }
}
