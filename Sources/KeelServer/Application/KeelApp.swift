import Hummingbird
import KeelCore
public import KeelOps
import KeelProviders
import KeelSimulator
import KeelStorage
import KeelStorageSQLite
public import Logging
public import NIOCore
import NIOEmbedded
import NIOPosix
import ServiceLifecycle
import Synchronization
import UnixSignals

/// The `keel serve` process: storage, simulators, providers, the data plane, the admin API and the
/// recorder, run together and stopped together.
///
/// ```swift
/// let app = KeelApp(configuration: configuration, environment: ProcessInfo.environment, logger: logger)
/// try await app.run()   // until SIGTERM / SIGINT or `triggerGracefulShutdown()`
/// ```
/// On graceful shutdown the HTTP server stops accepting, finishes the requests in flight, then the
/// recorder writes every record it holds, then connections and the database close.
public final class KeelApp: Sendable {
    /// What the server prints when it is ready.
    public struct StartupInfo: Sendable {
        public let port: Int
        public let host: String
        public let storage: String
        /// Set only on the start that generated the admin key: it is shown this once.
        public let generatedAdminKey: String?
        public let models: [String]
        /// Whether the server terminates TLS (`https`).
        public let tls: Bool
    }

    public let configuration: KeelConfiguration
    private let environment: [String: String]
    private let logger: Logger
    private let handleSignals: Bool
    private let sharedEventLoopGroup: (any EventLoopGroup)?
    private let state = Mutex<State>(State())

    private struct State: ~Copyable {
        var port: Int?
        var portWaiters: [CheckedContinuation<Int, any Error>] = []
        var serviceGroup: ServiceGroup?
        var shutdownRequested = false
        var recorder: RequestRecorder?
        var incidents: IncidentEngine?
        var stopped = false
    }

    /// - Parameters:
    ///   - handleSignals: stop gracefully on SIGTERM and SIGINT (the CLI); tests pass `false`.
    ///   - eventLoopGroup: the group for the server and upstream connections; `nil` creates one of
    ///     `server.threads` threads for the lifetime of `run()`. The CLI passes NIO's singleton,
    ///     which it also installs as Swift concurrency's executor.
    public init(
        configuration: KeelConfiguration,
        environment: [String: String],
        logger: Logger,
        handleSignals: Bool = true,
        eventLoopGroup: (any EventLoopGroup)? = nil
    ) {
        self.sharedEventLoopGroup = eventLoopGroup
        self.configuration = configuration
        self.environment = environment
        self.logger = logger
        self.handleSignals = handleSignals
    }

    /// Runs until graceful shutdown. `onReady` is called once the server listens.
    public func run(onReady: @escaping @Sendable (StartupInfo) async -> Void = { _ in }) async throws {
        defer { self.state.withLock { $0.stopped = true } }
        let configuration = self.configuration
        let ownedGroup =
            self.sharedEventLoopGroup == nil
            ? MultiThreadedEventLoopGroup(numberOfThreads: configuration.server.threads) : nil
        let group: any EventLoopGroup = self.sharedEventLoopGroup ?? ownedGroup!
        let backend = try await StorageBackend.open(configuration.storage, eventLoopGroup: group, logger: self.logger)
        let stores = backend.stores
        do {
            try await self.serve(
                configuration,
                stores: stores,
                storageDescription: backend.description,
                group: group,
                onReady: onReady
            )
        } catch {
            await backend.close()
            try? await ownedGroup?.shutdownGracefully()
            throw error
        }
        await backend.close()
        try? await ownedGroup?.shutdownGracefully()
    }

    private func serve(
        _ configuration: KeelConfiguration,
        stores: KeelStores,
        storageDescription: String,
        group: any EventLoopGroup,
        onReady: @escaping @Sendable (StartupInfo) async -> Void
    ) async throws {
        let keyRing = KeyRing()
        let generatedAdminKey = try await self.loadKeys(into: keyRing, stores: stores)

        try await withThrowingTaskGroup(of: Void.self) { tasks in
            var providers: [String: any ModelProvider] = [:]
            // Built-in simulators run in a service group of their own, stopped gracefully after
            // the gateway (cancelling them would abort their connections mid-response).
            var simulatorGroups: [ServiceGroup] = []
            let traced = configuration.tracing.enabled
            var upstreamAddresses: [String: GatewayTracing.UpstreamAddress] = [:]
            for provider in configuration.providers {
                switch provider.kind {
                case .simulator:
                    var simulatorConfiguration = provider.simulator
                    simulatorConfiguration.host = "127.0.0.1"
                    simulatorConfiguration.port = 0
                    // The simulator's own start-up lines would read as a second server to users.
                    var simulatorLogger = self.logger
                    simulatorLogger.logLevel = max(self.logger.logLevel, .warning)
                    let simulator = KeelSimulator(configuration: simulatorConfiguration, logger: simulatorLogger)
                    let simulatorGroup = ServiceGroup(
                        configuration: .init(
                            services: [.init(service: simulator)],
                            gracefulShutdownSignals: [],
                            logger: self.logger
                        )
                    )
                    simulatorGroups.append(simulatorGroup)
                    tasks.addTask { try await simulatorGroup.run() }
                    let port = try await simulator.listeningPort()
                    providers[provider.name] = try Self.makeSimulatorClient(
                        provider,
                        port: port,
                        group: group,
                        propagatesTraceContext: traced
                    )
                    upstreamAddresses[provider.name] = .init(host: "127.0.0.1", port: port)
                default:
                    providers[provider.name] = try Self.makeProvider(
                        provider,
                        group: group,
                        propagatesTraceContext: traced
                    )
                    upstreamAddresses[provider.name] = provider.baseURL.flatMap(Self.upstreamAddress(baseURL:))
                }
            }
            let tracing =
                try traced
                ? GatewayTracing(
                    configuration: configuration.tracing,
                    upstreamAddresses: upstreamAddresses,
                    logger: self.logger
                ) : nil

            let detections = Mutex<IncidentEngine?>(nil)
            let registry = ModelRegistry(
                configuration: configuration,
                providers: providers,
                created: WallClock.unixMicros() / 1_000_000,
                onTrip: { trip in
                    detections.withLock { $0 }?.report(
                        Detection(
                            category: .providerOutage,
                            severity: trip.trip > 1 ? .high : .medium,
                            scope: IncidentScope(provider: trip.provider),
                            detector: "breaker_open",
                            summary:
                                "The breaker of \(trip.provider)/\(trip.upstreamModel) (model \(trip.model)) opened (\(trip.reason), trip \(trip.trip)); "
                                + (trip.failover.isEmpty
                                    ? "no other deployment or fallback to fail over to"
                                    : "traffic fails over to " + trip.failover.joined(separator: ", ")),
                            values: ["trip": Double(trip.trip)],
                            at: WallClock.unixMicros()
                        )
                    )
                }
            )
            let monitoring = try MonitoringEngine(
                configuration: .init(
                    maxDeploymentSeries: configuration.monitoring.maxDeploymentSeries,
                    maxTeamSeries: configuration.monitoring.maxTeamSeries,
                    rules: configuration.monitoring.rules
                )
            )
            let alerts = try AlertService(
                monitoring: monitoring,
                configuration: configuration.monitoring,
                eventLoopGroup: group,
                logger: self.logger
            )
            let instanceID = Self.instanceID()
            let checkpointer = AuditCheckpointer(
                store: stores.audit,
                signer: try await AuditSigningKey.load(configuration.compliance.audit, settings: stores.settings),
                instanceID: instanceID,
                configuration: configuration.compliance.audit,
                logger: self.logger
            )
            let bodyVault = BodyVault(store: stores.bodies)
            let bodyKeeper = BodyKeeper(vault: bodyVault, logger: self.logger)
            let agentBook = AgentBook(
                store: stores.agents,
                requiresRegistration: configuration.agents.requireRegistration,
                alerts: alerts,
                logger: self.logger
            )
            try await agentBook.reload()
            let taskBook = TaskBook(store: stores.agentTasks, agents: agentBook, alerts: alerts, logger: self.logger)
            try await taskBook.reload(now: WallClock.unixMicros())
            let escalations = EscalationDesk(
                store: stores.escalations,
                taskStore: stores.agentTasks,
                tasks: taskBook,
                alerts: alerts,
                logger: self.logger
            )
            let taskTracker = TaskTracker(
                store: stores.agentTasks,
                book: taskBook,
                agents: agentBook,
                interval: .milliseconds(configuration.agents.syncIntervalMs),
                lease: Int64(configuration.agents.taskLeaseSeconds) * 1_000_000,
                escalations: escalations,
                logger: self.logger
            )
            let incidentsOn = configuration.incidents.enabled
            var detectorSettings = configuration.incidents.detectors
            detectorSettings.providersWithBAA = Set(configuration.providers.filter(\.baa).map(\.name))
            let recordDetectors = RecordDetectors(configuration: detectorSettings) { detection in
                detections.withLock { $0 }?.report(detection)
            }
            let recorder = RequestRecorder(
                store: stores.requests,
                capacity: configuration.recorder.capacity,
                batchSize: configuration.recorder.batchSize,
                flushInterval: .milliseconds(configuration.recorder.flushIntervalMs),
                instanceID: instanceID,
                logger: self.logger,
                observe: { batch in
                    // A record carries its task's outcome only when its request ended the task, and
                    // the store let it end only once (`AgentTaskOutcomes`).
                    for record in batch {
                        monitoring.ingest(record, agentTaskSucceeded: record.taskOutcome.map { $0 == .success })
                    }
                    bodyKeeper.keep(batch)
                    taskTracker.observe(batch)
                    if incidentsOn { recordDetectors.observe(batch) }
                },
                appended: { checkpointer.appended($0) }
            )
            // The log before this process: a new one gets its size-0 checkpoint now, and a key
            // that has not signed here yet is recorded in the log first.
            let auditStart = try await stores.audit.head().size
            if let key = try await checkpointer.start() {
                await recorder.append(.checkpoint(key), time: WallClock.unixMicros())
            }
            await recorder.append(
                .configLoaded(configuration.loadedFrom.entry(of: configuration)),
                time: WallClock.unixMicros()
            )
            let completeness = AuditCompletenessMonitor(
                store: stores.audit,
                recorder: recorder,
                startIndex: auditStart,
                alerts: alerts,
                logger: self.logger
            )
            checkpointer.watch(with: completeness)
            let incidentWebhooks = try IncidentWebhooks(
                configuration: configuration,
                eventLoopGroup: group,
                logger: self.logger
            )
            let incidentEngine = IncidentEngine(
                store: stores.incidents,
                audit: stores.audit,
                notifier: incidentWebhooks,
                trail: IncidentRecorderTrail(recorder: recorder, logger: self.logger),
                logger: self.logger
            )
            if configuration.incidents.enabled {
                detections.withLock { $0 = incidentEngine }
                // A revoked or expired key still tried: once per key per ten minutes.
                let lastTried = Mutex<[String: Int64]>([:])
                keyRing.onInactiveKey { key in
                    let now = WallClock.unixMicros()
                    let report = lastTried.withLock { last -> Bool in
                        if let at = last[key.id.rawValue], now - at < 600_000_000 { return false }
                        if last.count > 10_000 { last.removeAll() }
                        last[key.id.rawValue] = now
                        return true
                    }
                    guard report else { return }
                    let revoked = key.revokedAt != nil
                    incidentEngine.report(
                        Detection(
                            category: .dataExposure,
                            severity: revoked ? .medium : .low,
                            scope: IncidentScope(
                                org: key.orgID?.rawValue,
                                team: key.teamID?.rawValue,
                                key: key.id.rawValue
                            ),
                            detector: revoked ? "revoked_key_used" : "expired_key_used",
                            summary:
                                "Key \(key.id.rawValue) (\(key.prefix)…) was presented \(revoked ? "after it was revoked" : "after it expired"): "
                                + "whoever holds it may not be who should",
                            at: now
                        )
                    )
                }
                let rules = configuration.monitoring.rules
                let overrides = configuration.incidents.alertCategories
                var providerOfDeployment: [String: String] = [:]
                for model in configuration.models {
                    for route in model.routes { providerOfDeployment[route.model] = route.provider }
                }
                alerts.listen { [providerOfDeployment] notifications in
                    for notification in notifications {
                        if let detection = AlertDetection.detection(
                            of: notification,
                            rules: rules,
                            overrides: overrides,
                            providerOfDeployment: { providerOfDeployment[$0] }
                        ) {
                            incidentEngine.report(detection)
                        }
                    }
                }
            }
            let rateLimiter = RateLimiter(
                configured: configuration.rateLimits,
                store: stores.rateLimits,
                settings: .init(
                    sliceFraction: configuration.rateLimiting.sliceFraction,
                    leaseTTL: configuration.rateLimiting.leaseTTL
                ),
                logger: self.logger
            )
            try await rateLimiter.reload()
            let rateLimitSync = RateLimitSync(
                limiter: rateLimiter,
                interval: configuration.rateLimiting.syncInterval,
                logger: self.logger
            )
            let budgetLimit = BudgetLimit(
                store: stores.budgets,
                instanceID: instanceID,
                settings: .init(
                    sliceFraction: configuration.budgets.sliceFraction,
                    flushInterval: configuration.budgets.flushInterval,
                    leaseTTL: configuration.budgets.leaseTTL
                ),
                logger: self.logger
            )
            try await budgetLimit.reload()
            let budgetService = BudgetService(
                limit: budgetLimit,
                alerts: BudgetAlerts(limit: budgetLimit, stores: stores, alerts: alerts, logger: self.logger),
                alertInterval: configuration.budgets.alertInterval,
                logger: self.logger
            )
            let policyBook = PolicyBook(
                configured: configuration.policies,
                store: stores.policies,
                providerNames: configuration.providers.map(\.name),
                logger: self.logger
            )
            try await policyBook.reload()
            let routeOverrides = RouteOverrides(store: stores.routeOverrides)
            try await routeOverrides.reload()
            let gateway = Gateway(
                keyRing: keyRing,
                registry: registry,
                recorder: recorder,
                prices: .builtIn(overrides: configuration.prices),
                limits: configuration.server,
                admissionLimits: [rateLimiter, budgetLimit],
                reserveOutputTokens: configuration.budgets.reserveOutputTokens,
                responseCache: ResponseCache(configuration: configuration),
                agentTasks: AgentTaskOutcomes(
                    store: stores.agentTasks,
                    requests: stores.requests,
                    monitoring: monitoring,
                    logger: self.logger,
                    tracing: tracing
                ),
                tracing: tracing,
                policies: policyBook,
                agents: agentBook,
                tasks: taskBook,
                escalations: escalations,
                taskLeaseSeconds: configuration.agents.taskLeaseSeconds,
                strictAuditOrgs: configuration.compliance.strictOrgs,
                strictAuditTimeout: .milliseconds(configuration.compliance.audit.strictTimeoutMs),
                digesters: AuditDigesters(store: stores.audit, logger: self.logger),
                injectionThreshold: configuration.contentGuard.injectionThreshold,
                routeOverrides: routeOverrides,
                readsAnswerFacts: configuration.incidents.enabled,
                canaryTokens: configuration.incidents.enabled && !configuration.incidents.canaryTokens.isEmpty
                    ? CanaryTokenWatch(tokens: configuration.incidents.canaryTokens) { detection in
                        detections.withLock { $0 }?.report(detection)
                    } : nil,
                logger: self.logger
            )
            var admin = AdminAPI(
                keyRing: keyRing,
                stores: stores,
                registry: registry,
                prices: .builtIn(overrides: configuration.prices),
                budgets: budgetLimit
            )
            admin.contentScanner = ContentScanner(
                configuration: .init(injectionThreshold: configuration.contentGuard.injectionThreshold)
            )
            let agentStats = AgentStatsMonitor(
                agents: agentBook,
                tasks: taskBook,
                store: stores.agentTasks,
                alerts: alerts,
                interval: .milliseconds(configuration.agents.statsIntervalMs),
                window: Int64(configuration.agents.statsWindowMinutes) * 60_000_000,
                metricsMaxAgents: configuration.agents.metricsMaxAgents,
                logger: self.logger
            )
            let router = KeelRoutes.build(
                gateway: gateway,
                admin: admin,
                stores: stores,
                monitoring: monitoring,
                alerts: alerts,
                extraMetrics: {
                    completeness.prometheusText() + bodyKeeper.prometheusText() + agentStats.prometheusText()
                        + escalations.prometheusText()
                        + (configuration.incidents.enabled ? incidentEngine.prometheusText() : "")
                }
            )
            let auditAPI = AuditAPI(
                admin: admin,
                store: stores.audit,
                signer: checkpointer.signer,
                completeness: completeness
            )
            KeelRoutes.addAudit(
                to: router,
                api: auditAPI,
                status: ComplianceStatus(
                    configuration: configuration,
                    stores: stores,
                    signer: checkpointer.signer,
                    completeness: completeness
                ),
                configuration: configuration,
                stores: stores
            )
            KeelRoutes.addRateLimits(to: router, admin: admin, limiter: rateLimiter)
            KeelRoutes.addPolicies(to: router, admin: admin, book: policyBook)
            KeelRoutes.addAgents(to: router, admin: admin, book: agentBook, tasks: taskBook)
            KeelRoutes.addBodies(to: router, admin: admin, vault: bodyVault)
            let mcpServers = try configuration.mcp.servers.map { server in
                try MCPServerClient(
                    name: server.name,
                    url: server.url,
                    headers: server.headers.sorted { $0.key < $1.key }.map {
                        ($0.key, $0.value.withExposedValue { $0 })
                    },
                    timeout: .milliseconds(server.timeoutMs),
                    caFile: server.tlsCAFile,
                    eventLoopGroup: group
                )
            }
            KeelRoutes.addMCP(
                to: router,
                gateway: MCPGateway(gateway: gateway, servers: mcpServers, escalations: escalations)
            )
            EscalationAPI.add(to: router, api: EscalationAPI(desk: escalations, gateway: gateway, admin: admin))
            let playbooks = PlaybookLibrary(configured: configuration.incidents.playbooks, store: stores.incidents)
            try await playbooks.reload()
            let runner = PlaybookRunner(
                engine: incidentEngine,
                handles: GatewayHandles(
                    stores: stores,
                    keyRing: keyRing,
                    agents: agentBook,
                    rateLimiter: rateLimiter,
                    routes: routeOverrides,
                    fallbacks: { registry.entries[$0]?.fallbacks ?? [] },
                    policies: policyBook,
                    engine: incidentEngine,
                    notifier: incidentWebhooks,
                    eventLoopGroup: group
                ),
                notifier: incidentWebhooks,
                trail: IncidentRecorderTrail(recorder: recorder, logger: self.logger),
                playbooks: { playbooks.current },
                logger: self.logger
            )
            incidentEngine.observe { observation in
                let now = WallClock.unixMicros()
                switch observation {
                case .opened(let incident, _), .severityRaised(let incident, _): await runner.start(incident, at: now)
                case .resolved(let incident): await runner.resolved(incident, at: now)
                }
            }
            let canaries = CanaryProber(
                canaries: configuration.incidents.canaries,
                gateway: gateway,
                adminKey: configuration.adminKey?.withExposedValue { $0 } ?? generatedAdminKey ?? "",
                settings: stores.settings,
                instanceID: instanceID,
                logger: self.logger,
                report: { incidentEngine.report($0) }
            )
            let drills = DrillRunner(
                target: DrillRunner.target(configuration, registry: registry),
                engine: incidentEngine,
                runner: runner,
                canaries: canaries,
                adminKey: configuration.adminKey?.withExposedValue { $0 } ?? generatedAdminKey ?? "",
                logger: self.logger
            )
            if configuration.incidents.enabled {
                DrillRunner.add(to: router, drills: drills, admin: admin)
                CanaryProber.add(to: router, prober: canaries, admin: admin)
                IncidentAPI.add(to: router, api: IncidentAPI(engine: incidentEngine, admin: admin))
                PlaybookAPI.add(
                    to: router,
                    api: PlaybookAPI(library: playbooks, runner: runner, engine: incidentEngine, admin: admin)
                )
            }
            let prober = PolicyProber(
                gateway: gateway,
                book: policyBook,
                store: stores.policies,
                vault: bodyVault,
                alerts: alerts,
                instanceID: instanceID,
                interval: .milliseconds(configuration.compliance.probes.intervalMs),
                logger: self.logger
            )
            AuditAPI.addProbes(
                to: router,
                api: auditAPI,
                store: stores.policies,
                prober: prober
            )
            let responder = GatewayResponder(gateway: gateway, router: router.buildResponder())
            // Drills are clients of the gateway's own routes, in process.
            let drillLogger = self.logger
            drills.serve { request in
                try await responder.respond(
                    to: request,
                    context: BasicRequestContext(source: .init(channel: EmbeddedChannel(), logger: drillLogger))
                )
            }
            let host = configuration.server.host
            let tls = try configuration.server.tls.map { try ServerTLS(configuration: $0, logger: self.logger) }
            let server = GatewayHTTPServer(
                configuration: .init(
                    host: host,
                    port: configuration.server.port,
                    backlog: 4_096,
                    maxBodyBytes: configuration.server.maxBodyBytes,
                    tls: tls
                ),
                responder: responder,
                eventLoopGroup: group,
                logger: self.logger,
                onListening: { [self] port in
                    self.markListening(port: port)
                    await onReady(
                        StartupInfo(
                            port: port,
                            host: host,
                            storage: storageDescription,
                            generatedAdminKey: generatedAdminKey,
                            models: registry.order,
                            tls: tls != nil
                        )
                    )
                }
            )
            var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
                // Before the recorder, so stopped after it: the final checkpoint covers every record.
                .init(service: checkpointer),
                // Before the recorder, so stopped after it: it seals the last batch's bodies.
                .init(service: bodyKeeper),
                .init(service: recorder),
                .init(
                    service: RetentionSweeper(
                        compliance: configuration.compliance,
                        stores: stores,
                        recorder: recorder,
                        instanceID: instanceID,
                        logger: self.logger
                    )
                ), .init(service: rateLimitSync),
                .init(
                    service: PeriodicReload(
                        name: "policies",
                        interval: .milliseconds(configuration.compliance.policySyncIntervalMs),
                        logger: self.logger,
                        reload: policyBook.reload
                    )
                ),
                .init(service: taskTracker), .init(service: agentStats),
                .init(
                    service: PeriodicReload(
                        name: "keys",
                        interval: .milliseconds(configuration.server.keySyncIntervalMs),
                        logger: self.logger,
                        reload: { try await keyRing.reload(from: stores.keys) }
                    )
                ),
                .init(
                    service: PeriodicReload(
                        name: "agents",
                        interval: .milliseconds(configuration.agents.syncIntervalMs),
                        logger: self.logger,
                        reload: agentBook.reloadIfChanged
                    )
                ),
                .init(
                    service: PeriodicReload(
                        name: "routes and playbooks",
                        interval: .milliseconds(configuration.incidents.syncIntervalMs),
                        logger: self.logger,
                        reload: {
                            try await routeOverrides.reloadIfChanged()
                            try await playbooks.reloadIfChanged()
                        }
                    )
                ),
                .init(service: budgetService), .init(service: alerts), .init(service: server),
            ]
            if configuration.incidents.enabled {
                // After the recorder, so stopped before it: its last audit entries are written.
                services.insert(
                    .init(
                        service: IncidentService(
                            engine: incidentEngine,
                            interval: .milliseconds(configuration.incidents.tickIntervalMs),
                            webhooks: incidentWebhooks,
                            ticks: [{ now in recordDetectors.tick(now: now) }, runner.tick(now:), canaries.tick(now:)]
                        )
                    ),
                    at: services.count - 3
                )
            }
            if configuration.compliance.probes.enabled { services.append(.init(service: prober)) }
            // First in the list, so stopped last: after the server has finished the requests in
            // flight (ending their spans), the processor exports what it holds.
            if let tracing { services.insert(.init(service: tracing), at: 0) }
            if let tls { services.append(.init(service: tls)) }
            let serviceGroup = ServiceGroup(
                configuration: .init(
                    // Stopped in reverse order: the server first, the recorder, then the tracer last.
                    services: services,
                    gracefulShutdownSignals: self.handleSignals ? [.sigterm, .sigint] : [],
                    cancellationSignals: [],
                    logger: self.logger
                )
            )
            let stopAtOnce = self.state.withLock { state -> Bool in
                state.serviceGroup = serviceGroup
                state.recorder = recorder
                state.incidents = configuration.incidents.enabled ? incidentEngine : nil
                return state.shutdownRequested
            }
            if stopAtOnce { await serviceGroup.triggerGracefulShutdown() }
            do {
                try await serviceGroup.run()
            } catch {
                self.failPortWaiters(error)
                for provider in providers.values { try? await provider.shutdown() }
                for server in mcpServers { await server.shutdown() }
                for simulatorGroup in simulatorGroups { await simulatorGroup.triggerGracefulShutdown() }
                throw error
            }
            for provider in providers.values { try? await provider.shutdown() }
            for server in mcpServers { await server.shutdown() }
            for simulatorGroup in simulatorGroups { await simulatorGroup.triggerGracefulShutdown() }
            try await tasks.waitForAll()
        }
    }

    /// This process's name in ledgers shared with other instances: new at every start.
    static func instanceID() -> String {
        "keel-" + String(UInt64.random(in: .min ... .max), radix: 16)
    }

    /// Suspends until the server listens; returns its port.
    public func listeningPort() async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            let port = self.state.withLock { state -> Int? in
                if let port = state.port { return port }
                state.portWaiters.append(continuation)
                return nil
            }
            if let port { continuation.resume(returning: port) }
        }
    }

    /// Stops accepting requests, finishes those in flight, writes every record, then returns from `run()`.
    public func triggerGracefulShutdown() async {
        let group = self.state.withLock { state -> ServiceGroup? in
            state.shutdownRequested = true
            return state.serviceGroup
        }
        await group?.triggerGracefulShutdown()
    }

    /// Whether `run()` has returned.
    public var stopped: Bool { self.state.withLock { $0.stopped } }

    /// Records accepted by the recorder and written so far.
    public var recordsWritten: Int { self.state.withLock { $0.recorder?.writtenCount ?? 0 } }

    /// The incident engine, once started (`nil` with `incidents.enabled: false`).
    public var incidentEngine: IncidentEngine? { self.state.withLock { $0.incidents } }

    private func markListening(port: Int) {
        let waiters = self.state.withLock { state in
            state.port = port
            defer { state.portWaiters = [] }
            return state.portWaiters
        }
        for waiter in waiters { waiter.resume(returning: port) }
    }

    private func failPortWaiters(_ error: any Error) {
        let waiters = self.state.withLock { state in
            defer { state.portWaiters = [] }
            return state.portWaiters
        }
        for waiter in waiters { waiter.resume(throwing: error) }
    }

    /// Fills `keyRing` from the store and the configuration; returns the admin key when this start
    /// generated it.
    private func loadKeys(into keyRing: KeyRing, stores: KeelStores) async throws -> String? {
        let stamp = try await stores.keys.stamp()
        let storedKeys = try await stores.keys.allKeys()
        var keys: [VirtualKey] = []
        var clientIdentities: [String: String] = [:]
        for (index, staticKey) in self.configuration.keys.enumerated() {
            let hash = staticKey.key.withExposedValue { KeyMaterial.hash($0) }
            if let identity = staticKey.clientCertificate { clientIdentities[identity] = hash }
            keys.append(
                VirtualKey(
                    id: KeyID("static-\(index)-" + hash.prefix(8)),
                    hash: hash,
                    prefix: staticKey.key.withExposedValue { KeyMaterial.displayPrefix($0) },
                    name: staticKey.name,
                    teamID: staticKey.team.map { TeamID($0) },
                    projectID: staticKey.project.map { ProjectID($0) },
                    userID: staticKey.user.map { UserID($0) },
                    models: staticKey.models,
                    createdAt: 0,
                    agentID: staticKey.agent
                )
            )
        }
        keyRing.replaceKeys(stored: storedKeys, configured: keys, stamp: stamp)
        keyRing.setClientIdentities(clientIdentities)

        let configured =
            self.configuration.adminKey ?? self.environment["KEEL_ADMIN_KEY"].flatMap { $0.isEmpty ? nil : Secret($0) }
        if let configured {
            keyRing.setAdminHash(configured.withExposedValue { KeyMaterial.hash($0) })
            return nil
        }
        if let stored = try await stores.settings.value(for: "admin_key_hash") {
            keyRing.setAdminHash(stored)
            return nil
        }
        let generated = KeyMaterial.generate(prefix: "sk-keel-admin-")
        let stored = try await stores.settings.insertIfAbsent(KeyMaterial.hash(generated), for: "admin_key_hash")
        keyRing.setAdminHash(stored)
        return stored == KeyMaterial.hash(generated) ? generated : nil
    }
}
