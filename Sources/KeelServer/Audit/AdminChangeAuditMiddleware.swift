import HTTPTypes
import Hummingbird
import KeelCore
import NIOCore

/// Appends an `admin_change` entry to the audit log for every change the admin API makes: each
/// `POST`, `PATCH`, `PUT` or `DELETE` under `/admin/v1/` that succeeds (2xx).
///
/// The entry names the caller (its key id, `admin` for the configured admin key, and its role),
/// the action (`<area>.<verb>`: `keys.create`, `keys.revoke`, `budgets.update`,
/// `rate_limits.delete`…), the target (the area's object type and its id, from the path or the
/// answer), and the request's JSON body as the summary, credentials redacted. The entry is queued
/// with the recorder's next batch; the answer is not held for it.
struct AdminChangeAuditMiddleware<Context: RequestContext>: RouterMiddleware {
    let admin: AdminAPI
    let recorder: RequestRecorder

    /// `POST` routes that change nothing (their bodies, such as text to scan, stay out of the log;
    /// a probe run keeps its results as evidence of its own).
    static var readOnly: Set<String> { ["/admin/v1/guard/scan", "/admin/v1/compliance/probes/run"] }

    /// The largest change body kept as a summary; larger ones are summarised by size.
    static var maximumSummaryBytes: Int { 64 << 10 }

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard Self.isChange(request.method), request.uri.path.hasPrefix("/admin/v1/"),
            !Self.readOnly.contains(request.uri.path)
        else {
            return try await next(request, context)
        }
        var request = request
        let body = try await request.collectBody(upTo: 1 << 20)
        var response = try await next(request, context)
        guard (200..<300).contains(response.status.code), let caller = try? self.admin.authenticate(request) else {
            return response
        }
        let collector = BodyCollector()
        try await response.body.write(collector)
        response.body = ResponseBody(byteBuffer: collector.buffer)
        let entry = try? Self.change(
            method: request.method,
            path: request.uri.path,
            caller: caller,
            requestBody: body,
            responseBody: collector.buffer
        )
        if let entry { await self.recorder.append(.adminChange(entry), time: WallClock.unixMicros()) }
        return response
    }

    static func isChange(_ method: HTTPRequest.Method) -> Bool {
        method == .post || method == .patch || method == .put || method == .delete
    }

    /// The entry of one successful change.
    static func change(
        method: HTTPRequest.Method,
        path: String,
        caller: AdminCaller,
        requestBody: ByteBuffer,
        responseBody: ByteBuffer
    ) throws -> AuditEntry.AdminChange {
        let segments = path.dropFirst("/admin/v1/".count).split(separator: "/").map(String.init)
        let area = (segments.first ?? "admin").replacing("-", with: "_")
        let verb: String =
            switch method {
            case .post: segments.count > 2 ? segments[2].replacing("-", with: "_") : "create"
            case .delete: area == "keys" ? "revoke" : "delete"
            default: "update"
            }
        let targetType =
            area.hasSuffix("ies") ? area.dropLast(3) + "y" : area.hasSuffix("s") ? String(area.dropLast()) : area
        let answer = Self.json(responseBody)
        var targetID = segments.count > 1 ? segments[1] : nil
        if targetID == nil, case .object(let members)? = answer,
            case .string(let id)? = members.first(where: { $0.key == "id" })?.value
        {
            targetID = id
        }
        let summary: JSONValue =
            requestBody.readableBytes > Self.maximumSummaryBytes
            ? .object([.init(key: "body_bytes", value: .int(requestBody.readableBytes))])
            : Self.json(requestBody) ?? .object([])
        return try AuditEntry.AdminChange(
            actorKeyID: caller.keyID ?? KeyID("admin"),
            actorRole: caller.role,
            action: "\(area).\(verb)",
            targetType: targetType,
            targetID: targetID ?? "",
            summary: summary
        )
    }

    static func json(_ buffer: ByteBuffer) -> JSONValue? {
        guard buffer.readableBytes > 0 else { return nil }
        return try? JSONValue(parsing: buffer)
    }

    /// Reads a response body into one buffer, to pass it on unchanged.
    final class BodyCollector: ResponseBodyWriter {
        var buffer = ByteBuffer()

        func write(_ buffer: ByteBuffer) async throws {
            var buffer = buffer
            self.buffer.writeBuffer(&buffer)
        }

        func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }
}
