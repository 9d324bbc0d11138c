import HTTPTypes
import Hummingbird
import KeelCore
import KeelOps
import KeelStorage

/// The HTTP routes of `keel serve`.
enum KeelRoutes {
    static func build(
        gateway: Gateway,
        admin: AdminAPI,
        stores: KeelStores,
        monitoring: MonitoringEngine,
        alerts: AlertService,
        extraMetrics: @escaping @Sendable () -> String = { "" }
    ) -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: DialectErrorMiddleware())
        router.add(middleware: AdminChangeAuditMiddleware(admin: admin, recorder: gateway.recorder))
        router.get("healthz") { _, _ in Gateway.json(#"{"status":"ok"}"#) }
        router.get("readyz") { _, _ in
            do {
                try await stores.ping()
                return Gateway.json(#"{"status":"ready"}"#)
            } catch {
                return Gateway.json(#"{"status":"storage unavailable"}"#, status: .serviceUnavailable)
            }
        }

        // Prometheus text: bounded labels only (provider, model, deployment, error type, status
        // class) — never tenants or keys — so it is served without a key, like LiteLLM's.
        let metrics = MetricsAPI(admin: admin, monitoring: monitoring, registry: gateway.registry, alerts: alerts)
        router.get("metrics") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: MonitoringEngine.prometheusContentType],
                body: ResponseBody(
                    byteBuffer: ByteBuffer(
                        string: monitoring.prometheusText(extraGauges: metrics.gauges())
                            + (gateway.tracing?.prometheusText() ?? "")
                            + gateway.contentGuard.counters.prometheusText() + extraMetrics()
                    )
                )
            )
        }

        let v1 = router.group("v1")
        v1.post("chat/completions") { request, _ in try await gateway.chatCompletions(request) }
        v1.post("embeddings") { request, _ in try await gateway.embeddings(request) }
        v1.post("messages") { request, _ in try await gateway.messages(request) }
        v1.post("messages/count_tokens") { request, _ in try await gateway.countTokens(request) }
        v1.post("tasks") { request, _ in try await gateway.createTask(request) }
        v1.post("tasks/claim") { request, _ in try await gateway.claimTask(request) }
        v1.post("tasks/{task_id}/heartbeat") { request, context in
            try await gateway.heartbeatTask(request, taskID: try context.parameters.require("task_id"))
        }
        v1.post("tasks/{task_id}/outcome") { request, context in
            try await gateway.reportTaskOutcome(request, taskID: try context.parameters.require("task_id"))
        }
        v1.get("models") { request, _ in try gateway.listModels(request) }
        v1.get("models/**") { request, context in
            try gateway.retrieveModel(request, id: context.parameters.getCatchAll().joined(separator: "/"))
        }

        let adminRoutes = router.group("admin/v1")
        adminRoutes.post("keys") { request, _ in try await admin.respond { try await admin.createKey(request) } }
        adminRoutes.get("keys") { request, _ in try await admin.listKeys(request) }
        adminRoutes.get("keys/{id}") { request, context in
            try await admin.getKey(request, id: try context.parameters.require("id"))
        }
        adminRoutes.delete("keys/{id}") { request, context in
            try await admin.revokeKey(request, id: try context.parameters.require("id"))
        }
        adminRoutes.post("keys/{id}/suspend") { request, context in
            try await admin.setKeySuspended(request, id: try context.parameters.require("id"), suspended: true)
        }
        adminRoutes.post("keys/{id}/resume") { request, context in
            try await admin.setKeySuspended(request, id: try context.parameters.require("id"), suspended: false)
        }
        adminRoutes.get("requests") { request, _ in try await admin.listRequests(request) }
        adminRoutes.get("costs") { request, _ in try await admin.costReport(request) }
        adminRoutes.get("costs/recommendations") { request, _ in try await admin.costRecommendations(request) }
        adminRoutes.get("metrics/summary") { request, _ in try metrics.summary(request) }
        adminRoutes.get("deployments") { request, _ in try metrics.deployments(request) }
        adminRoutes.get("alerts") { request, _ in try metrics.alerts(request) }
        adminRoutes.post("guard/scan") { request, _ in try await admin.scanContent(request) }
        Self.addCollection("orgs", to: adminRoutes, admin: admin, AdminAPI.organizations)
        Self.addCollection("teams", to: adminRoutes, admin: admin, AdminAPI.teams)
        Self.addCollection("projects", to: adminRoutes, admin: admin, AdminAPI.projects)
        Self.addCollection("users", to: adminRoutes, admin: admin, AdminAPI.users)
        Self.addCollection(
            "budgets",
            to: adminRoutes,
            admin: admin,
            create: AdminAPI.createBudget,
            list: AdminAPI.listBudgets,
            get: AdminAPI.getBudget,
            update: AdminAPI.updateBudget,
            delete: AdminAPI.deleteBudget
        )
        return router
    }

    /// The routes of one collection of the tenancy tree, served by the generic handlers.
    private static func addCollection<Record, Input>(
        _ name: String,
        to group: RouterGroup<BasicRequestContext>,
        admin: AdminAPI,
        _ collection: TenancyCollection<Record, Input>
    ) {
        Self.addCollection(
            name,
            to: group,
            admin: admin,
            create: { api in { try await api.create(collection, $0) } },
            list: { api in { try await api.list(collection, $0) } },
            get: { api in { try await api.get(collection, $0, id: $1) } },
            update: { api in { try await api.update(collection, $0, id: $1) } },
            delete: { api in { try await api.delete(collection, $0, id: $1) } }
        )
    }

    /// `POST name`, `GET name`, `GET name/{id}`, `PATCH name/{id}`, `DELETE name/{id}` of one admin
    /// collection; the store's conflicts become 409 (``AdminAPI/respond(_:)``).
    private static func addCollection(
        _ name: String,
        to group: RouterGroup<BasicRequestContext>,
        admin: AdminAPI,
        create: @escaping @Sendable (AdminAPI) -> (Request) async throws -> Response,
        list: @escaping @Sendable (AdminAPI) -> (Request) async throws -> Response,
        get: @escaping @Sendable (AdminAPI) -> (Request, String) async throws -> Response,
        update: @escaping @Sendable (AdminAPI) -> (Request, String) async throws -> Response,
        delete: @escaping @Sendable (AdminAPI) -> (Request, String) async throws -> Response
    ) {
        let item = RouterPath(stringLiteral: name + "/{id}")
        group.post(RouterPath(stringLiteral: name)) { request, _ in
            try await admin.respond { try await create(admin)(request) }
        }
        group.get(RouterPath(stringLiteral: name)) { request, _ in try await list(admin)(request) }
        group.get(item) { request, context in
            let id = try context.parameters.require("id")
            return try await admin.respond { try await get(admin)(request, id) }
        }
        group.patch(item) { request, context in
            let id = try context.parameters.require("id")
            return try await admin.respond { try await update(admin)(request, id) }
        }
        group.delete(item) { request, context in
            let id = try context.parameters.require("id")
            return try await admin.respond { try await delete(admin)(request, id) }
        }
    }
}
