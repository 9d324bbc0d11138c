import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A raw HTTP/1.1 client that reads part of a streaming answer and then closes the socket,
/// as a client that goes away does.
enum StreamingClient {
    /// Sends a request, waits `delay` without reading, then closes the connection.
    static func sendThenDisconnect(port: Int, path: String, body: String, key: String, after delay: Duration) async throws {
        try await self.connect(port: port).executeThenClose { _, outbound in
            try await outbound.write(Self.request(path: path, body: body, key: key))
            try await Task.sleep(for: delay)
        }
    }

    static func connect(port: Int) async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
    }

    static func request(path: String, body: String, key: String) -> ByteBuffer {
        ByteBuffer(
            string: "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(key)\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
        )
    }

    static func readThenDisconnect(port: Int, path: String, body: String, key: String, bytes: Int) async throws {
        try await self.connect(port: port).executeThenClose { inbound, outbound in
            try await outbound.write(Self.request(path: path, body: body, key: key))
            var received = 0
            for try await chunk in inbound {
                received += chunk.readableBytes
                if received >= bytes { break }
            }
        }
    }
}
