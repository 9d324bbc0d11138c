import HTTPTypes
import Hummingbird
import KeelCore
import NIOCore

extension KeelSimulator {
    /// `POST /model/{modelId}/converse` and `POST /model/{modelId}/converse-stream`: Bedrock
    /// Converse. Needs a SigV4-shaped `Authorization` header and `x-amz-date` (403 otherwise);
    /// the model id may be percent-encoded. Counted under `/model/{modelId}/converse[-stream]`.
    func bedrockConverse(
        _ request: Request, modelID: String, streaming: Bool, context: SimulatorRequestContext
    ) async throws -> Response {
        let requestID = Self.uuid(self.requestID())
        let body = try await request.body.collect(upTo: Self.maxBodyBytes)
        let model = Self.percentDecoded(modelID)
        let path = "/model/\(model)/" + (streaming ? "converse-stream" : "converse")
        if let refused = self.bedrockSignatureError(request) {
            self.counter.record(path: path, model: nil)
            return Response.error(refused, in: .bedrock, requestID: requestID)
        }
        let converse: BedrockConverseRequest
        do {
            converse = try BedrockConverseRequest.parse(body, model: model)
        } catch {
            self.counter.record(path: path, model: nil)
            return Response.error(error, in: .bedrock, requestID: requestID)
        }
        self.counter.record(path: path, model: model)
        let plan: Plan
        do {
            plan = try self.plan(converse.prompt, path: path) { _ in
                .invalidRequest("The provided model identifier is invalid.")
            }
        } catch {
            return Response.error(error, in: .bedrock, requestID: requestID)
        }
        let latency = plan.directives.latencyMs ?? 0
        return try await self.respond(
            plan, streaming: streaming, dialect: .bedrock, requestID: requestID,
            headers: [HTTPField.Name("x-amzn-requestid")!: requestID], context: context,
            body: { BedrockConverseRenderer(completion: $0, latencyMs: latency).body },
            renderer: { BedrockConverseRenderer(completion: $0, latencyMs: latency) }
        )
    }

    /// 32 hexadecimal digits as a UUID (`8-4-4-4-12`), the form of AWS request ids.
    static func uuid(_ digits: String) -> String {
        let padded = Array((digits + String(repeating: "0", count: 32)).prefix(32))
        return String(padded[0..<8]) + "-" + String(padded[8..<12]) + "-" + String(padded[12..<16]) + "-"
            + String(padded[16..<20]) + "-" + String(padded[20..<32])
    }
}
