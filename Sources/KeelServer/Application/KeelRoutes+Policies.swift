import Hummingbird

extension KeelRoutes {
    /// `/admin/v1/policies` and `/admin/v1/policies/{id}`, answered by `admin` with the data
    /// plane's policy `book`, which every change reloads.
    static func addPolicies(to router: Router<BasicRequestContext>, admin: AdminAPI, book: PolicyBook) {
        let group = router.group("admin/v1")
        group.post("policies") { request, _ in
            try await admin.respond { try await admin.createPolicy(request, book: book) }
        }
        group.get("policies") { request, _ in try await admin.listPolicies(request, book: book) }
        group.get("policies/{id}") { request, context in
            let id = try context.parameters.require("id")
            return try await admin.respond { try await admin.getPolicy(request, id: id, book: book) }
        }
        group.put("policies/{id}") { request, context in
            let id = try context.parameters.require("id")
            return try await admin.respond { try await admin.updatePolicy(request, id: id, replace: true, book: book) }
        }
        group.patch("policies/{id}") { request, context in
            let id = try context.parameters.require("id")
            return try await admin.respond { try await admin.updatePolicy(request, id: id, replace: false, book: book) }
        }
        group.delete("policies/{id}") { request, context in
            let id = try context.parameters.require("id")
            return try await admin.respond { try await admin.deletePolicy(request, id: id, book: book) }
        }
    }
}
