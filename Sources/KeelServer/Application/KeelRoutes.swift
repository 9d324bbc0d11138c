import HTTPTypes
import Hummingbird
import KeelCore
import KeelOps
import KeelStorage

/// The HTTP routes of `keel serve`.
enum KeelRoutes {
    static func build(gateway: Gateway, admin: AdminAPI, stores: KeelStores, monitoring: MonitoringEngine) -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: DialectErrorMiddleware())
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
        router.get("metrics") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: MonitoringEngine.prometheusContentType],
                body: ResponseBody(byteBuffer: ByteBuffer(string: monitoring.prometheusText()))
            )
        }

        let v1 = router.group("v1")
        v1.post("chat/completions") { request, _ in try await gateway.chatCompletions(request) }
        v1.post("embeddings") { request, _ in try await gateway.embeddings(request) }
        v1.post("messages") { request, _ in try await gateway.messages(request) }
        v1.post("messages/count_tokens") { request, _ in try await gateway.countTokens(request) }
        v1.get("models") { request, _ in try gateway.listModels(request) }
        v1.get("models/**") { request, context in
            try gateway.retrieveModel(request, id: context.parameters.getCatchAll().joined(separator: "/"))
        }

        let adminRoutes = router.group("admin/v1")
        adminRoutes.post("keys") { request, _ in try await admin.createKey(request) }
        adminRoutes.get("keys") { request, _ in try await admin.listKeys(request) }
        adminRoutes.get("keys/{id}") { request, context in try await admin.getKey(request, id: try context.parameters.require("id")) }
        adminRoutes.delete("keys/{id}") { request, context in try await admin.revokeKey(request, id: try context.parameters.require("id")) }
        adminRoutes.get("requests") { request, _ in try await admin.listRequests(request) }
        return router
    }
}
