import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

extension HTTP1UpstreamClient {
    /// A connection and its handler.
    struct Connection: Sendable {
        let channel: any Channel
        let handler: NIOLoopBound<UpstreamConnectionHandler>
        /// Whether it served an earlier exchange (so the server may have closed it meanwhile).
        var reused: Bool
    }

    struct PoolState: ~Copyable {
        var idle: [Connection] = []
        var open = 0
        var waiters: [CheckedContinuation<Connection?, any Error>] = []
        var isShutdown = false
    }

    /// An idle connection, a new one, or (at `maxConnections`) the next one released.
    func acquire(fresh: Bool) async throws -> Connection {
        enum Next { case use(Connection), create, wait }
        while true {
            let next = self.pool.withLock { state -> Next in
                if !fresh {
                    // A closed connection still counts as open until its `connectionClosed`
                    // (queued on its event loop) frees the slot: drop it here, count it there.
                    while let connection = state.idle.popLast() {
                        if connection.channel.isActive { return .use(connection) }
                    }
                }
                if state.open < self.maxConnections {
                    state.open += 1
                    return .create
                }
                return .wait
            }
            switch next {
            case .use(let connection):
                return connection
            case .create:
                do {
                    return try await self.connect()
                } catch {
                    self.pool.withLock { $0.open -= 1 }
                    throw error
                }
            case .wait:
                let handedOver = try await withCheckedThrowingContinuation { continuation in
                    // A connection released or closed since the check above finds no waiter:
                    // look again instead of waiting for a release that may never come.
                    let waiting = self.pool.withLock { state -> Bool in
                        if state.open < self.maxConnections || (!fresh && !state.idle.isEmpty) { return false }
                        state.waiters.append(continuation)
                        return true
                    }
                    if !waiting { continuation.resume(returning: nil) }
                }
                if let handedOver { return handedOver }
            }
        }
    }

    /// Called on the connection's event loop when an exchange ended and the connection can serve another.
    func release(_ connection: Connection) {
        var connection = connection
        connection.reused = true
        let waiter = self.pool.withLock { state -> CheckedContinuation<Connection?, any Error>? in
            if !state.waiters.isEmpty { return state.waiters.removeFirst() }
            if state.isShutdown {
                connection.channel.close(promise: nil)
                return nil
            }
            state.idle.append(connection)
            return nil
        }
        waiter?.resume(returning: connection)
    }

    /// Called when a connection closed: frees its slot and wakes one waiter to open another.
    func connectionClosed(_ channel: any Channel) {
        let waiter = self.pool.withLock { state -> CheckedContinuation<Connection?, any Error>? in
            state.idle.removeAll { $0.channel === channel }
            state.open -= 1
            return state.waiters.isEmpty ? nil : state.waiters.removeFirst()
        }
        // The waiter loops in `acquire` and opens a connection in the freed slot.
        waiter?.resume(returning: nil)
    }

    private func connect() async throws -> Connection {
        let eventLoop = self.group.next()
        let sslContext = self.sslContext
        let target = self.target
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(TimeAmount(self.timeouts.connect))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let sslContext {
                        // SNI cannot carry an IP address; without a name, the certificate is
                        // checked against the peer's IP address instead.
                        let serverName = target.isIPAddress ? nil : target.host
                        try pipeline.addHandler(NIOSSLClientHandler(context: sslContext, serverHostname: serverName))
                    }
                    // NIO's response decoder only: requests are written as bytes by the handler.
                    let decoder = UpstreamResponseDecoder()
                    try pipeline.addHandler(ByteToMessageHandler(decoder))
                    try pipeline.addHandler(UpstreamConnectionHandler(client: self, decoder: decoder))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: target.host, port: target.port).get()
        } catch {
            if case .connectTimeout? = error as? ChannelError { throw HTTP1UpstreamError.connectTimeout }
            throw HTTP1UpstreamError.connectFailed
        }
        let handler = try await channel.eventLoop.submit {
            NIOLoopBound(try channel.pipeline.syncOperations.handler(type: UpstreamConnectionHandler.self), eventLoop: channel.eventLoop)
        }.get()
        return Connection(channel: channel, handler: handler, reused: false)
    }
}

extension HTTP1UpstreamClient.Target {
    /// Whether `host` is an IPv4 or IPv6 literal rather than a name.
    var isIPAddress: Bool {
        if self.host.contains(":") { return true }
        let parts = self.host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { UInt8($0) != nil }
    }
}
