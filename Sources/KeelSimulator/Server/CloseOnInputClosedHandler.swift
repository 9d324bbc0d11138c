import NIOCore
import NIOHTTPTypes

/// Closes the connection as soon as the client closes its side.
///
/// Hummingbird allows remote half-closure, so a client that goes away leaves the channel active
/// until the next write fails, and a scripted stall of minutes would run on for nobody. Closing
/// on `inputClosed` (NIO's default behaviour) makes ``NIOCore/Channel/pause(until:)`` notice the
/// disconnect within one polling slice. The cost: a client that half-closes after sending its
/// request gets no response, which no LLM client does.
final class CloseOnInputClosedHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }
}
