public import KeelCore
public import KeelOps
public import KeelProviders
public import KeelSimulator

/// The whole gateway configuration, as read from `keel.yaml` (or the built-in default) and
/// validated once. Every field has a default, so tests build it directly.
public struct KeelConfiguration: Sendable {
    public var server: Server
    public var storage: Storage
    public var adminKey: Secret<String>?
    public var providers: [Provider]
    public var models: [Model]
    public var keys: [StaticKey]
    public var router: Router
    public var recorder: Recorder
    public var monitoring: Monitoring
    /// Price overrides by upstream model name, on top of the built-in catalog.
    public var prices: [String: ModelPrice]
    /// `cache:` — the exact-match response cache (off unless enabled).
    public var cache = Cache()
    /// `agents:` — the agent registry's rules on the data plane.
    public var agents = Agents()
    /// `mcp:` — the MCP servers fronted at `/mcp/{name}`.
    public var mcp = MCP()
    /// `incidents:` — incident response's receivers, on-call targets and alert mapping.
    public var incidents = Incidents()
    /// `budgets:` — how budgets are enforced.
    public var budgets = Budgets()
    /// `rate_limits:` — rate-limit rules of the file (more are made through the admin API).
    public var rateLimits: [RateLimitRule] = []
    /// `rate_limiting:` — how rate-limit capacity is leased from the database.
    public var rateLimiting = RateLimiting()
    /// `tracing:` — OpenTelemetry traces over OTLP/HTTP (off unless an endpoint is configured).
    public var tracing = Tracing()
    /// `policies:` — compliance policies checked on the request path (``Policy``).
    public var policies: [Policy] = []
    /// `compliance:` — the audit log's checkpoints and signing key, strict audit per organisation.
    public var compliance = Compliance()
    /// Where this configuration was read from (not a YAML key).
    public var loadedFrom = LoadedFrom(source: "default", sha256: "")
    /// `guard:` — settings of the content detectors that policies' content rules use.
    public var contentGuard = Guard()

    public init(
        server: Server = Server(),
        storage: Storage = Storage(),
        adminKey: Secret<String>? = nil,
        providers: [Provider] = [],
        models: [Model] = [],
        keys: [StaticKey] = [],
        router: Router = Router(),
        recorder: Recorder = Recorder(),
        monitoring: Monitoring = Monitoring(),
        prices: [String: ModelPrice] = [:]
    ) {
        self.monitoring = monitoring
        self.server = server
        self.storage = storage
        self.adminKey = adminKey
        self.providers = providers
        self.models = models
        self.keys = keys
        self.router = router
        self.recorder = recorder
        self.prices = prices
    }

    /// `server:` — where and how the gateway listens.
    public struct Server: Sendable, Equatable {
        public var host: String
        public var port: Int
        /// Request bodies larger than this are refused with 413 before they are read.
        public var maxBodyBytes: Int
        /// Deepest JSON nesting accepted in a request body.
        public var maxJSONDepth: Int
        /// Event-loop threads for the server and upstream connections.
        public var threads: Int
        /// HTTPS on the server's port; `nil` for plain HTTP (the default, meant for loopback).
        public var tls: TLS?
        /// How often the stored keys are checked for changes made by other instances.
        public var keySyncIntervalMs: Int

        public init(
            host: String = "127.0.0.1",
            port: Int = 8080,
            maxBodyBytes: Int = 8 << 20,
            maxJSONDepth: Int = 64,
            threads: Int = 1,
            tls: TLS? = nil,
            keySyncIntervalMs: Int = 2_000
        ) {
            self.host = host
            self.port = port
            self.maxBodyBytes = maxBodyBytes
            self.maxJSONDepth = maxJSONDepth
            self.threads = threads
            self.tls = tls
            self.keySyncIntervalMs = keySyncIntervalMs
        }
    }

    /// `server.tls:` — the gateway terminates TLS itself.
    ///
    /// The files are read at start (a file that cannot be read or parsed stops start-up, naming
    /// the key) and again every ``reloadIntervalMs``: when their contents changed, new
    /// connections get the new certificate without a restart, and connections already open keep
    /// theirs. A reload that fails is logged and the previous certificate stays in use.
    public struct TLS: Sendable, Equatable {
        /// The lowest protocol version accepted.
        public enum Version: String, Sendable, Equatable {
            case tls12 = "1.2"
            case tls13 = "1.3"
        }

        /// Whether a client must present a certificate when ``clientCAFile`` is set.
        public enum ClientCertificates: String, Sendable, Equatable {
            /// Clients may present one (a service identity) or authenticate with a key as usual.
            case optional
            /// The handshake fails without a certificate the client CA signed.
            case required
        }

        /// PEM: the server certificate, then the intermediates.
        public var certificateFile: String
        /// PEM: the certificate's private key.
        public var keyFile: String
        public var minimumVersion: Version
        /// PEM: the CAs whose client certificates are accepted (mTLS); `nil` asks for none.
        public var clientCAFile: String?
        public var clientCertificates: ClientCertificates
        /// How often the files are checked for a change.
        public var reloadIntervalMs: Int

        public init(
            certificateFile: String,
            keyFile: String,
            minimumVersion: Version = .tls12,
            clientCAFile: String? = nil,
            clientCertificates: ClientCertificates = .optional,
            reloadIntervalMs: Int = 30_000
        ) {
            self.certificateFile = certificateFile
            self.keyFile = keyFile
            self.minimumVersion = minimumVersion
            self.clientCAFile = clientCAFile
            self.clientCertificates = clientCertificates
            self.reloadIntervalMs = reloadIntervalMs
        }
    }

    /// `storage:` — the database.
    public struct Storage: Sendable, Equatable {
        /// `sqlite://PATH` (relative paths from the working directory), or
        /// `postgres://user:password@host:port/database[?sslmode=disable|prefer|require]` for a
        /// PostgreSQL database several gateway instances share.
        public var url: String
        /// PostgreSQL: the schema Keel's tables live in (created if missing); `nil` for the
        /// server's `search_path` (normally `public`).
        public var schema: String?
        /// PostgreSQL: connections in the pool.
        public var maxConnections: Int

        public init(url: String = "sqlite://.keel/keel.sqlite", schema: String? = nil, maxConnections: Int = 10) {
            self.url = url
            self.schema = schema
            self.maxConnections = maxConnections
        }

        /// Whether the URL names a PostgreSQL database.
        public var isPostgres: Bool {
            self.url.hasPrefix("postgres://") || self.url.hasPrefix("postgresql://")
        }

        /// The SQLite file path, when the URL names one.
        public var sqlitePath: String? {
            self.url.hasPrefix("sqlite://") ? String(self.url.dropFirst("sqlite://".count)) : nil
        }
    }

    /// One entry of `providers:`.
    public struct Provider: Sendable {
        public enum Kind: String, Sendable, CaseIterable {
            /// OpenAI and every OpenAI-compatible server, by `base_url`.
            case openai
            /// The Anthropic Messages API.
            case anthropic
            /// Azure OpenAI deployments (`base_url` is the resource endpoint).
            case azure
            /// Google Gemini (the Generative Language API).
            case gemini
            /// AWS Bedrock Converse.
            case bedrock
            /// The built-in simulator, started inside the gateway on a loopback port, spoken to
            /// in the dialect of `simulator.dialect`.
            case simulator
        }

        public var name: String
        public var kind: Kind
        public var baseURL: String?
        public var apiKey: Secret<String>?
        public var headers: [(name: String, value: String)]
        public var timeouts: UpstreamTimeouts
        public var maxConnections: Int
        /// For `kind: simulator`: the simulated models and their behaviour.
        public var simulator: SimulatorConfiguration
        /// For `kind: simulator`: the dialect the gateway speaks to it (`simulator.dialect`), so
        /// every upstream adapter and translation path can run without keys.
        public var simulatorDialect: APIDialect
        /// A PEM file of extra certificate authorities to trust for this upstream.
        public var tlsCAFile: String?
        /// `kind: anthropic`: the `anthropic-version` header sent when the client sent none.
        public var anthropicVersion: String?
        /// `kind: azure`: the `api-version` query parameter.
        public var apiVersion: String?
        /// `kind: azure`: a Microsoft Entra ID token, used instead of `api_key` when set.
        public var entraToken: Secret<String>?
        /// Where the provider processes data, for policies' `regions`; for `kind: bedrock` also
        /// the AWS region (it picks the default endpoint).
        public var region: String?
        /// A business associate agreement (HIPAA) covers this provider: policies with
        /// `baa_required` may use it.
        public var baa = false
        /// `kind: bedrock`: AWS credentials.
        public var awsAccessKeyID: String?
        public var awsSecretAccessKey: Secret<String>?
        public var awsSessionToken: Secret<String>?

        public init(
            name: String,
            kind: Kind,
            baseURL: String? = nil,
            apiKey: Secret<String>? = nil,
            headers: [(name: String, value: String)] = [],
            timeouts: UpstreamTimeouts = UpstreamTimeouts(),
            maxConnections: Int = 512,
            simulator: SimulatorConfiguration = SimulatorConfiguration(),
            simulatorDialect: APIDialect = .openAI,
            tlsCAFile: String? = nil
        ) {
            self.simulatorDialect = simulatorDialect
            self.name = name
            self.kind = kind
            self.baseURL = baseURL
            self.apiKey = apiKey
            self.headers = headers
            self.timeouts = timeouts
            self.maxConnections = maxConnections
            self.simulator = simulator
            self.tlsCAFile = tlsCAFile
        }
    }

    /// One entry of `models:` — a name clients send, and where it goes.
    public struct Model: Sendable, Equatable {
        public struct Route: Sendable, Equatable {
            public var provider: String
            /// The model name the upstream expects.
            public var model: String
            /// Share of first choices under the `weighted` strategy (0: failover only).
            public var weight: Int
            /// Requests per minute this deployment may take (its provider's limit); over it, the
            /// deployment is skipped until its one-minute window frees.
            public var rpm: Int?
            /// Tokens (input + output) per minute, reserved at admission and corrected with the
            /// real usage.
            public var tpm: Int?

            public init(provider: String, model: String, weight: Int = 1, rpm: Int? = nil, tpm: Int? = nil) {
                self.provider = provider
                self.model = model
                self.weight = weight
                self.rpm = rpm
                self.tpm = tpm
            }
        }

        /// `models[].breaker` — when a deployment is benched, and for how long.
        public struct Breaker: Sendable, Equatable {
            /// Health failures in a row that are allowed; the next one opens the breaker.
            public var allowedFailures: Int
            /// Failure share over the last minute that opens the breaker…
            public var failureRate: Double
            /// …once at least this many requests were seen in it.
            public var minRequests: Int
            /// The first cooldown; it doubles on each trip in a row, up to `maxCooldown`.
            public var cooldown: Duration
            public var maxCooldown: Duration

            public init(
                allowedFailures: Int = 3,
                failureRate: Double = 0.5,
                minRequests: Int = 10,
                cooldown: Duration = .seconds(30),
                maxCooldown: Duration = .seconds(300)
            ) {
                self.allowedFailures = allowedFailures
                self.failureRate = failureRate
                self.minRequests = minRequests
                self.cooldown = cooldown
                self.maxCooldown = maxCooldown
            }
        }

        public var name: String
        /// Deployments; the strategy orders them per request, the rest are the failover order.
        public var routes: [Route]
        /// Other configured models to try when every route failed.
        public var fallbacks: [String]
        /// Retries per route on retryable errors (overrides `router.max_retries`).
        public var maxRetries: Int?
        /// How the routes are ordered for each request.
        public var strategy: RoutingStrategy
        public var breaker: Breaker
        /// `models[].stream_resume`: a stream cut after content reached the client is continued
        /// on another deployment (or a fallback) from the text the client already has, instead of
        /// ending with an error event (see docs/failover.md).
        public var streamResume = false
        /// Hedging: when the first deployment has not answered (for a stream, sent its first
        /// token) after this long, the next one is asked too, and the first to answer wins; the
        /// other is cancelled. `nil`: deployments are tried one after another.
        public var hedgeAfter: Duration?
        /// `models[].cache`: `false` keeps this model's answers out of the response cache.
        public var cache = true
        /// `latency_objective_ms`, for the `least_cost` strategy: deployments whose moving
        /// average of TTFT (total latency for non-streamed answers) is over it are chosen only
        /// after the cheaper ones that meet it, and when none does, the fastest first.
        public var latencyObjective: Duration?

        public init(
            name: String,
            routes: [Route],
            fallbacks: [String] = [],
            maxRetries: Int? = nil,
            strategy: RoutingStrategy = .priority,
            breaker: Breaker = Breaker(),
            hedgeAfter: Duration? = nil,
            latencyObjective: Duration? = nil
        ) {
            self.latencyObjective = latencyObjective
            self.hedgeAfter = hedgeAfter
            self.name = name
            self.routes = routes
            self.fallbacks = fallbacks
            self.maxRetries = maxRetries
            self.strategy = strategy
            self.breaker = breaker
        }

        /// The routing table settings of this model's deployments, without prices.
        public var routing: RoutingConfiguration { self.routing(prices: PriceCatalog(prices: [:])) }

        /// The routing table settings of this model's deployments; each deployment's price for
        /// `least_cost` is the ``ModelPrice/blendedRate`` of its upstream model in `prices`.
        public func routing(prices: PriceCatalog) -> RoutingConfiguration {
            var breaker = CircuitBreakerConfiguration()
            breaker.allowedFailures = self.breaker.allowedFailures
            breaker.failureRateThreshold = self.breaker.failureRate
            breaker.minimumRequests = self.breaker.minRequests
            breaker.cooldown = self.breaker.cooldown
            breaker.maxCooldown = self.breaker.maxCooldown
            return RoutingConfiguration(
                strategy: self.strategy,
                deployments: self.routes.map {
                    .init(
                        weight: $0.weight,
                        requestsPerMinute: $0.rpm,
                        tokensPerMinute: $0.tpm,
                        price: prices.price(for: $0.model)?.blendedRate
                    )
                },
                breaker: breaker,
                latencyObjective: self.latencyObjective
            )
        }
    }

    /// One entry of `keys:` — a client key declared in the file (GitOps).
    public struct StaticKey: Sendable {
        public var key: Secret<String>
        public var name: String?
        public var team: String?
        public var project: String?
        public var user: String?
        public var models: [String]
        /// A client certificate identity that authenticates as this key without the key itself
        /// (a service on mTLS): the certificate's subject common name, or one of its DNS, URI or
        /// e-mail subject alternative names, exactly. Needs `server.tls.client_ca_file`.
        public var clientCertificate: String?
        /// The registered agent the key belongs to (`keys[].agent`).
        public var agent: String?

        public init(
            key: Secret<String>,
            name: String? = nil,
            team: String? = nil,
            project: String? = nil,
            user: String? = nil,
            models: [String] = [],
            clientCertificate: String? = nil,
            agent: String? = nil
        ) {
            self.key = key
            self.name = name
            self.team = team
            self.project = project
            self.user = user
            self.models = models
            self.clientCertificate = clientCertificate
            self.agent = agent
        }
    }

    /// `router:` — retries.
    public struct Router: Sendable, Equatable {
        public var maxRetries: Int
        /// First backoff; doubles per retry, with full jitter, up to `maxBackoffMs`.
        public var backoffMs: Int
        public var maxBackoffMs: Int
        /// A `retry-after` longer than this moves on to the next route instead of waiting.
        public var maxRetryAfterMs: Int

        public init(maxRetries: Int = 2, backoffMs: Int = 100, maxBackoffMs: Int = 2_000, maxRetryAfterMs: Int = 10_000)
        {
            self.maxRetries = maxRetries
            self.backoffMs = backoffMs
            self.maxBackoffMs = maxBackoffMs
            self.maxRetryAfterMs = maxRetryAfterMs
        }
    }

    /// `monitoring:` — the live metrics engine and its alerts.
    public struct Monitoring: Sendable {
        /// A receiver of alert notifications.
        public struct Webhook: Sendable, Equatable {
            public enum Format: String, Sendable, Equatable, CaseIterable {
                /// Keel's JSON notification.
                case json
                /// `{"text": …}` with blocks, for Slack-compatible incoming webhooks.
                case slack
            }

            public var url: String
            public var format: Format

            public init(url: String, format: Format = .json) {
                self.url = url
                self.format = format
            }
        }

        /// Distinct (provider, model, deployment) series kept; later ones are counted as `other`.
        public var maxDeploymentSeries: Int
        /// Distinct teams kept in the live windows; later ones are counted as `other`.
        public var maxTeamSeries: Int
        /// Alert rules: thresholds from `alerts`, and burn-rate page and ticket rules from `slos`.
        public var rules: [AlertRule]
        /// How often the rules are evaluated.
        public var alertInterval: Duration
        public var webhooks: [Webhook]

        public init(
            maxDeploymentSeries: Int = 100,
            maxTeamSeries: Int = 100,
            rules: [AlertRule] = [],
            alertInterval: Duration = .seconds(15),
            webhooks: [Webhook] = []
        ) {
            self.maxDeploymentSeries = maxDeploymentSeries
            self.maxTeamSeries = maxTeamSeries
            self.rules = rules
            self.alertInterval = alertInterval
            self.webhooks = webhooks
        }
    }

    /// `recorder:` — the request-record writer.
    public struct Recorder: Sendable, Equatable {
        /// Records held in memory before requests wait for the writer (backpressure).
        public var capacity: Int
        public var batchSize: Int
        /// How long a partial batch waits for more records before it is written.
        public var flushIntervalMs: Int

        public init(capacity: Int = 10_000, batchSize: Int = 500, flushIntervalMs: Int = 20) {
            self.capacity = capacity
            self.batchSize = batchSize
            self.flushIntervalMs = flushIntervalMs
        }
    }
}
