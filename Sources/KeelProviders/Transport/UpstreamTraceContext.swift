/// The W3C trace context (`traceparent`, `tracestate`) of the upstream attempt the current task
/// is making, sent with each upstream request made inside it.
///
/// The gateway binds it around an attempt when tracing is on; an ``HTTP1UpstreamClient`` made
/// with `propagatesTraceContext` adds its headers to every request it sends while it is bound.
/// Adapters build no trace headers themselves and record nothing: this is header injection
/// only, so a tracing-off gateway reads one stored `Bool` per request and nothing else.
public struct UpstreamTraceContext: Sendable {
    /// The headers to send, already formatted (`traceparent` first).
    public var headers: [(name: String, value: String)]

    public init(headers: [(name: String, value: String)]) {
        self.headers = headers
    }

    /// The context of the attempt running in this task, if any.
    @TaskLocal public static var current: UpstreamTraceContext?
}
