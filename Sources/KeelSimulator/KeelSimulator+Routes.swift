import Hummingbird
import KeelCore
import NIOCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

extension KeelSimulator {
    /// A fixed `created` for models: the list is configuration, not something that changes.
    static let modelsCreated = 1_700_000_000

    func router() -> Router<SimulatorRequestContext> {
        let router = Router(context: SimulatorRequestContext.self)
        router.post("v1/chat/completions") { request, context in
            try await self.chatCompletion(request, context: context)
        }
        router.post("v1/embeddings") { request, context in
            try await self.embeddings(request, context: context)
        }
        router.post("v1/messages") { request, context in
            try await self.anthropicMessages(request, context: context)
        }
        router.post("v1/messages/count_tokens") { request, context in
            try await self.anthropicCountTokens(request, context: context)
        }
        router.post("v1beta/models/{target}") { request, context in
            try await self.gemini(request, target: context.parameters.get("target") ?? "", context: context)
        }
        router.post("model/{modelID}/converse") { request, context in
            try await self.bedrockConverse(
                request, modelID: context.parameters.get("modelID") ?? "", streaming: false, context: context)
        }
        router.post("model/{modelID}/converse-stream") { request, context in
            try await self.bedrockConverse(
                request, modelID: context.parameters.get("modelID") ?? "", streaming: true, context: context)
        }
        router.post("openai/deployments/{deployment}/chat/completions") { request, context in
            try await self.azure(
                request, deployment: context.parameters.get("deployment") ?? "", operation: "chat/completions",
                context: context)
        }
        router.post("openai/deployments/{deployment}/embeddings") { request, context in
            try await self.azure(
                request, deployment: context.parameters.get("deployment") ?? "", operation: "embeddings",
                context: context)
        }
        router.post("mcp") { request, _ in try await self.mcp(request) }
        router.get("v1/models") { request, _ in
            self.counter.record(path: request.uri.path, model: nil)
            return Response.json(self.modelList())
        }
        router.get("v1/models/**") { request, context in
            let id = context.parameters.getCatchAll().joined(separator: "/")
            self.counter.record(path: request.uri.path, model: id)
            guard let model = self.models[id] else { return Response.error(.modelNotFound(id)) }
            return Response.json(Self.modelObject(model))
        }
        router.get("_simulator/health") { request, _ in
            self.counter.record(path: request.uri.path, model: nil)
            return Response.json(#"{"status":"ok"}"#)
        }
        router.post("_simulator/script") { request, _ in
            self.counter.record(path: request.uri.path, model: nil)
            return try await self.enqueueScript(request)
        }
        router.delete("_simulator/script") { request, _ in
            self.counter.record(path: request.uri.path, model: nil)
            self.script.reset()
            return Response.json(#"{"status":"reset"}"#)
        }
        return router
    }

    /// The seconds since 1970, for `created`.
    static var now: Int {
        Int(Date().timeIntervalSince1970)
    }

    private func modelList() -> String {
        var json = #"{"object":"list","data":["#
        var first = true
        for model in self.configuration.models where self.models[model.name] == model {
            if !first { json += "," }
            first = false
            json += Self.modelObject(model)
        }
        return json + "]}"
    }

    private static func modelObject(_ model: SimulatedModel) -> String {
        #"{"id":"# + JSONWriter.quoted(model.name) + #","object":"model","created":"# + String(Self.modelsCreated)
            + #","owned_by":"keel-simulator"}"#
    }

    /// `POST /_simulator/script`: `{"model": optional, "count": optional, "directives": "k=v …"}`.
    private func enqueueScript(_ request: Request) async throws -> Response {
        let body = try await request.body.collect(upTo: Self.maxBodyBytes)
        let parsed = body.withUnsafeReadableBytes { bytes in
            Result<ScriptEntry, SimulatorError> { () throws(SimulatorError) in try Self.scriptEntry(bytes) }
        }
        switch parsed {
        case .success(let entry):
            self.script.enqueue(entry.directives, model: entry.model, count: entry.count)
            return Response.json(#"{"status":"queued","count":"# + String(max(entry.count, 0)) + "}")
        case .failure(let error):
            return Response.error(error)
        }
    }

    private struct ScriptEntry {
        let directives: SimulatorDirectives
        let model: String?
        let count: Int
    }

    private static func scriptEntry(_ bytes: UnsafeRawBufferPointer) throws(SimulatorError) -> ScriptEntry {
        let index: JSONObjectIndex
        do {
            index = try JSONScanner.indexObject(bytes)
        } catch {
            throw SimulatorError.invalidJSON(error)
        }
        guard let text = index["directives"].flatMap({ index.string($0) }) else {
            throw SimulatorError.missingParameter("directives")
        }
        do {
            return ScriptEntry(
                directives: try SimulatorDirectives(parsing: text),
                model: index["model"].flatMap { index.string($0) },
                count: index["count"].flatMap { index.int($0) } ?? 1
            )
        } catch {
            throw SimulatorError.invalidDirective(error)
        }
    }
}
