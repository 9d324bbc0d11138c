import Hummingbird

extension KeelRoutes {
    /// `/admin/v1/rate-limits` and `/admin/v1/rate-limits/{id}`, answered by `admin` with the
    /// data plane's `limiter`, whose snapshot every change reloads.
    static func addRateLimits(to router: Router<BasicRequestContext>, admin: AdminAPI, limiter: RateLimiter) {
        let group = router.group("admin/v1")
        group.post("rate-limits") { request, _ in try await admin.respond { try await admin.createRateLimit(request, limiter: limiter) } }
        group.get("rate-limits") { request, _ in try await admin.listRateLimits(request, limiter: limiter) }
        group.get("rate-limits/{id}") { request, context in
            let id = try context.parameters.require("id")
            return try await admin.respond { try await admin.getRateLimit(request, id: id, limiter: limiter) }
        }
        group.patch("rate-limits/{id}") { request, context in
            let id = try context.parameters.require("id")
            return try await admin.respond { try await admin.updateRateLimit(request, id: id, limiter: limiter) }
        }
        group.delete("rate-limits/{id}") { request, context in
            let id = try context.parameters.require("id")
            return try await admin.respond { try await admin.deleteRateLimit(request, id: id, limiter: limiter) }
        }
    }
}
