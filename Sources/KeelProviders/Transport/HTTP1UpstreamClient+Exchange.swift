public import NIOCore
public import NIOHTTP1

extension HTTP1UpstreamClient {
    /// One exchange as a provider sees it: `POST path`, then the response head and its body (whole
    /// unless `stream`). Transport failures come out as `KeelError`s the router understands;
    /// cancellation is rethrown as `CancellationError`.
    ///
    /// With `propagatesTraceContext`, the bound ``UpstreamTraceContext``'s headers replace any of
    /// the same name.
    public func send(
        _ method: HTTPMethod = .POST,
        path: String,
        headers: HTTPHeaders,
        body: ByteBuffer,
        stream: Bool
    ) async throws -> (head: HTTPResponseHead, body: UpstreamBody) {
        let head: HTTPResponseHead
        let responseBody: ResponseBody
        do {
            if self.propagatesTraceContext, let trace = UpstreamTraceContext.current {
                var traced = headers
                for header in trace.headers { traced.replaceOrAdd(name: header.name, value: header.value) }
                (head, responseBody) = try await self.request(
                    method,
                    path: path,
                    headers: traced,
                    body: body,
                    collect: !stream
                )
            } else {
                (head, responseBody) = try await self.request(
                    method,
                    path: path,
                    headers: headers,
                    body: body,
                    collect: !stream
                )
            }
        } catch {
            guard let classified = UpstreamTransportError.classify(error) else { throw CancellationError() }
            throw classified
        }
        switch responseBody {
        case .complete(let buffer): return (head, UpstreamBody(buffer: buffer))
        case .stream(let stream, let abort): return (head, UpstreamBody(.http(stream, abort: abort)))
        }
    }
}

extension UpstreamBody {
    /// The body of an error answer, bounded (64 KiB), or `nil` when it cannot be read.
    public func errorBody() async -> ByteBuffer? {
        try? await self.collect(upTo: 64 << 10)
    }
}
