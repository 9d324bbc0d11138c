import Hummingbird

extension KeelRoutes {
    /// `/admin/v1/agents`, `/admin/v1/agent-holds` and `/admin/v1/tasks`, answered by `admin`
    /// with the data plane's agent `book` and task book, which every change reloads.
    static func addAgents(to router: Router<BasicRequestContext>, admin: AdminAPI, book: AgentBook, tasks: TaskBook) {
        let group = router.group("admin/v1")
        group.post("agents") { request, _ in
            try await admin.respond { try await admin.createAgent(request, book: book) }
        }
        group.get("agents") { request, _ in try await admin.listAgents(request, book: book) }
        group.get("agents/{id}") { request, context in
            let id = try context.parameters.require("id")
            return try await admin.getAgent(request, id: id, book: book)
        }
        group.patch("agents/{id}") { request, context in
            let id = try context.parameters.require("id")
            return try await admin.respond { try await admin.updateAgent(request, id: id, book: book) }
        }
        group.delete("agents/{id}") { request, context in
            let id = try context.parameters.require("id")
            return try await admin.respond { try await admin.deleteAgent(request, id: id, book: book) }
        }
        group.get("agents/{id}/stats") { request, context in
            try await admin.agentStats(request, id: try context.parameters.require("id"))
        }
        group.post("agents/{id}/suspend") { request, context in
            let id = try context.parameters.require("id")
            return try await admin.setAgentState(request, id: id, suspended: true, book: book)
        }
        group.post("agents/{id}/resume") { request, context in
            let id = try context.parameters.require("id")
            return try await admin.setAgentState(request, id: id, suspended: false, book: book)
        }
        group.get("agents/{id}/tools") { request, context in
            try await admin.listToolPins(request, id: try context.parameters.require("id"))
        }
        group.post("agents/{id}/tools/approve") { request, context in
            try await admin.approveToolPin(request, id: try context.parameters.require("id"), book: book)
        }
        group.post("agent-holds") { request, _ in try await admin.createAgentHold(request, book: book) }
        group.get("agent-holds") { request, _ in try await admin.listAgentHolds(request) }
        group.delete("agent-holds") { request, _ in try await admin.deleteAgentHold(request, book: book) }
        group.get("tasks") { request, _ in try await admin.listTasks(request) }
        group.get("tasks/{id}") { request, context in
            try await admin.getTask(request, id: try context.parameters.require("id"))
        }
        group.patch("tasks/{id}") { request, context in
            try await admin.updateTask(request, id: try context.parameters.require("id"), book: tasks)
        }
        group.post("tasks/{id}/resume") { request, context in
            try await admin.resumeTask(request, id: try context.parameters.require("id"), book: tasks)
        }
        group.post("tasks/{id}/cancel") { request, context in
            try await admin.cancelTask(request, id: try context.parameters.require("id"), book: tasks)
        }
    }
}
