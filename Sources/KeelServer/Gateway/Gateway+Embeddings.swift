import HTTPTypes
import Hummingbird
import KeelCore
import KeelProviders
import NIOCore

extension Gateway {
    /// `POST /v1/embeddings`.
    func embeddings(_ request: Request) async throws -> Response {
        let started = ContinuousClock.now
        let principal = try self.authenticate(request)
        var record = self.newRecord(operation: "embeddings", principal: principal, request: request, startedAt: WallClock.unixMicros())
        let embeddings: OpenAIEmbeddingsRequest
        do {
            let body = try await self.readBody(request)
            embeddings = try OpenAIEmbeddingsRequest.parse(body, maxDepth: self.limits.maxJSONDepth)
            record.requestedModel = embeddings.model
            try self.resolve(embeddings.model, for: principal)
        } catch {
            // The block throws only KeelError (typed throws), so `error` is one.
            let failure: KeelError = error
            await self.recordFailure(&record, error: failure, started: started)
            throw failure
        }

        let routed: UpstreamRouter.Routed<UpstreamAnswer>
        do {
            routed = try await self.router.route(model: embeddings.model, logger: self.logger) { deployment in
                let upstream = UpstreamRequest(operation: .embeddings, body: embeddings.upstreamBody(model: deployment.upstreamModel), stream: false)
                return try await Self.completeAnswer(try await deployment.provider.send(upstream))
            }
        } catch let failure as UpstreamRouter.Failure {
            record.attempts = failure.attempts
            record.model = failure.model?.name
            record.provider = failure.deployment?.provider.name
            record.deployment = failure.deployment?.upstreamModel
            await self.recordFailure(&record, error: failure.error, started: started)
            throw failure.error
        } catch {
            await self.recordFailure(&record, error: .clientDisconnected, started: started)
            throw error
        }
        guard case .complete(let body, let contentType, let usage) = routed.value else {
            preconditionFailure("embeddings never stream")
        }
        record.attempts = routed.attempts
        record.model = routed.model.name
        record.provider = routed.deployment.provider.name
        record.deployment = routed.deployment.upstreamModel
        record.usage = usage
        record.cost = self.prices.cost(of: usage, model: routed.deployment.upstreamModel)
        record.status = 200
        record.outcome = .success
        record.upstreamMicros = (ContinuousClock.now - started).microseconds
        record.totalMicros = record.upstreamMicros!
        var headers = HTTPFields()
        headers[.contentType] = contentType ?? "application/json"
        headers[.keelRequestID] = record.id.rawValue
        headers[.keelProvider] = routed.deployment.provider.name
        headers[.keelCost] = record.cost.decimalString
        await self.recorder.record(record)
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: body))
    }

    /// `GET /v1/models`: the models the caller's key may use.
    func listModels(_ request: Request) throws -> Response {
        let principal = try self.authenticate(request)
        var body = #"{"object":"list","data":["#
        var first = true
        for name in self.registry.order where principal.mayUse(model: name) {
            if !first { body += "," }
            first = false
            body += Self.modelObject(self.registry.entries[name]!)
        }
        body += "]}"
        return Self.json(body)
    }

    /// `GET /v1/models/{id}`.
    func retrieveModel(_ request: Request, id: String) throws -> Response {
        let principal = try self.authenticate(request)
        guard let entry = self.registry.entries[id], principal.mayUse(model: id) else { throw KeelError.modelNotFound(id) }
        return Self.json(Self.modelObject(entry))
    }

    static func modelObject(_ entry: ModelRegistry.Entry) -> String {
        #"{"id":"# + JSONWriter.quoted(entry.name) + #","object":"model","created":\#(entry.created),"owned_by":"#
            + JSONWriter.quoted(entry.ownedBy) + "}"
    }

    static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
