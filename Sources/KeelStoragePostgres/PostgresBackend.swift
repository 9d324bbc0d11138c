public import KeelStorage
public import Logging
public import NIOCore
public import PostgresNIO
import NIOSSL

/// The scale-out storage backend: one PostgreSQL database shared by every gateway instance,
/// reached through PostgresNIO's `PostgresClient` connection pool.
///
/// ## Lifecycle
///
/// ``open(url:configuration:eventLoopGroup:logger:)`` connects once, applies the pending
/// migrations on that connection and closes it (so a wrong address, password or database fails
/// at once with the server's reason), then creates the pool and starts its `run()` loop in a
/// task the backend owns (a `PostgresClient` leases no connection until `run()` is running), and
/// returns. The pool reconnects by itself later on. ``shutdown()`` cancels that task and
/// waits until every connection is closed; call it once, at shutdown, after the recorders have
/// drained. Every store call made afterwards throws. A backend released without ``shutdown()``
/// cancels its run task when it is deinitialised, so it never leaks the pool, but it does not
/// wait for the connections to close.
///
/// The caller's task structure therefore does not change between backends: like
/// `SQLiteBackend`, this one is opened, used through ``stores`` and closed.
///
/// ## Concurrency
///
/// Every store method leases a pooled connection for one statement (or one transaction) and
/// returns it at once; nothing blocks a thread or an event loop. At most
/// ``Configuration/maximumConnections`` statements run at once; further calls wait for a
/// connection. Statements run at PostgreSQL's default `READ COMMITTED` isolation, and every
/// write the protocols call atomic is one statement or one transaction.
///
/// ## Several processes
///
/// Any number of gateways may open the same database at once: migrations take a
/// transaction-level advisory lock, so they run exactly once (see `PostgresMigrator`).
///
/// ```swift
/// let backend = try await PostgresBackend.open(url: "postgres://keel:secret@db:5432/keel", logger: logger)
/// try await backend.stores.requests.append(records)
/// await backend.shutdown()
/// ```
public final class PostgresBackend: Sendable {
    /// Settings of the PostgreSQL backend; every field has a default.
    public struct Configuration: Sendable, Equatable {
        /// The most connections the pool opens to the server, hence the most statements in flight.
        public var maximumConnections: Int
        /// How long opening one connection (TCP, TLS, authentication) may take.
        public var connectTimeout: Duration
        /// The schema that holds Keel's tables, created when missing; `nil` uses the server's
        /// `search_path` (normally `public`). Lets several Keel deployments, or test runs, share
        /// one database.
        public var schema: String?

        /// Creates a configuration. `maximumConnections` must be at least 1.
        public init(maximumConnections: Int = 10, connectTimeout: Duration = .seconds(10), schema: String? = nil) {
            self.maximumConnections = maximumConnections
            self.connectTimeout = connectTimeout
            self.schema = schema
        }
    }

    /// The database's URL without its password (`postgres://keel@db:5432/keel`).
    public let redactedURL: String
    /// The stores of this database, ready to use.
    public let stores: KeelStores
    // Internal, not private, so that the tests can inspect the schema.
    let client: PostgresClient
    private let runTask: Task<Void, Never>
    private let logger: Logger

    private init(redactedURL: String, client: PostgresClient, runTask: Task<Void, Never>, logger: Logger) {
        self.redactedURL = redactedURL
        self.client = client
        self.runTask = runTask
        self.logger = logger
        self.stores = KeelStores(
            database: PostgresDatabase(client: client),
            backendDescription: redactedURL,
            ping: { try await client.query("SELECT 1") }
        )
    }

    deinit {
        self.runTask.cancel()
    }

    /// Connects to the database at `url` and applies the pending migrations of
    /// `KeelSchema` (rendered for PostgreSQL).
    ///
    /// `url` is `postgres://user:password@host:port/database` (or `postgresql://`), with
    /// reserved characters of the user name and password percent-encoded, an IPv6 host in
    /// brackets, port 5432 when left out, and the server's default database (the user's name)
    /// when the path is empty. One query parameter is read, `sslmode`: `disable` (plain TCP),
    /// `prefer` (the default: TLS when the server offers it) or `require` (TLS or fail; also
    /// spelled `verify-ca`, `verify-full`). TLS always verifies the server's certificate and
    /// host name against the system's trust roots, as libpq's `verify-full` does.
    ///
    /// - Parameters:
    ///   - eventLoopGroup: the threads the connections run on; by default NIO's shared
    ///     multi-threaded group.
    ///   - logger: receives migration messages and the pool's background events (at `debug`
    ///     and above only: PostgresNIO's `trace` messages carry row data).
    /// - Throws: ``StorageError`` `.invalidConfiguration` for a malformed URL, `.newerSchema` when
    ///   the database was migrated by a newer Keel; PostgresNIO's `PSQLError` when the server
    ///   cannot be reached, refuses the login or fails a migration. Nothing keeps running after
    ///   a throw.
    public static func open(
        url: String,
        configuration: Configuration = Configuration(),
        eventLoopGroup: any EventLoopGroup = PostgresClient.defaultEventLoopGroup,
        logger: Logger
    ) async throws -> PostgresBackend {
        precondition(configuration.maximumConnections >= 1, "maximumConnections must be at least 1")
        let location = try PostgresURL(parsing: url)
        var backgroundLogger = logger
        if backgroundLogger.logLevel < .debug { backgroundLogger.logLevel = .debug }
        let clientConfiguration = try Self.clientConfiguration(location, configuration)

        // Migrate on one connection of its own, made before the pool exists: an unreachable
        // server, a refused login or a missing database then fails `open` at once with the
        // server's reason, where the pool would retry quietly for a minute before giving up.
        let connection = try await PostgresConnection.connect(
            on: eventLoopGroup.any(),
            configuration: try Self.connectionConfiguration(location, configuration),
            id: 0,
            logger: backgroundLogger
        )
        let applied: [String]
        do {
            applied = try await PostgresMigrator(migrations: KeelSchema.migrations(for: .postgres))
                .migrate(connection, schema: configuration.schema, logger: logger)
            try await connection.close()
        } catch {
            try? await connection.close()
            throw error
        }
        logger.debug(
            "Opened PostgreSQL database",
            metadata: [
                "keel.storage.url": "\(location.redacted)",
                "keel.storage.migrations_applied": "\(applied.count)",
            ]
        )

        let client = PostgresClient(
            configuration: clientConfiguration,
            eventLoopGroup: eventLoopGroup,
            backgroundLogger: backgroundLogger
        )
        let runTask = Task { await client.run() }
        return PostgresBackend(redactedURL: location.redacted, client: client, runTask: runTask, logger: logger)
    }

    /// The ids of the migrations applied to this database, in id order.
    public func appliedMigrations() async throws -> [String] {
        try await self.client.withConnection { connection in
            try await PostgresMigrator.appliedMigrationIDs(connection, logger: self.logger)
        }
    }

    /// Stops the pool: cancels its run task and waits until every connection is closed.
    ///
    /// Statements in flight fail. Call it once, at shutdown, after the recorders have drained;
    /// calling it again returns at once.
    public func shutdown() async {
        self.runTask.cancel()
        await self.runTask.value
    }

    /// `name` as a quoted SQL identifier (`"keel"`, with inner quotes doubled), for the few
    /// places SQL names an identifier that comes from configuration: identifiers cannot be
    /// bound parameters.
    static func quotedIdentifier(_ name: String) -> String {
        "\"" + name.replacing("\"", with: "\"\"") + "\""
    }

    /// Runs `body` in a transaction on `connection`: `COMMIT` when it returns, `ROLLBACK` when it
    /// throws, and the error of `body` (not a wrapper) is rethrown.
    static func inTransaction<Result: Sendable>(
        _ connection: PostgresConnection,
        logger: Logger? = nil,
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let logger = logger ?? Self.quietLogger
        try await connection.query("BEGIN", logger: logger)
        let result: Result
        do {
            result = try await body(connection)
        } catch {
            // A failed ROLLBACK means the connection is gone; the pool then drops it.
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
        try await connection.query("COMMIT", logger: logger)
        return result
    }

    /// The logger of the statements the stores run: PostgresNIO logs row data at `trace`, and
    /// stored values never go to logs.
    static let quietLogger = Logger(label: "keel.storage.postgres", factory: { _ in SwiftLogNoOpLogHandler() })

    /// The settings of one connection, the same as those of the pool's connections.
    private static func connectionConfiguration(
        _ location: PostgresURL,
        _ configuration: Configuration
    ) throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS
        switch location.tlsMode {
        case .disable: tls = .disable
        case .prefer: tls = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        case .require: tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        var connection = PostgresConnection.Configuration(
            host: location.host,
            port: location.port,
            username: location.username,
            password: location.password,
            database: location.database,
            tls: tls
        )
        let (seconds, attoseconds) = configuration.connectTimeout.components
        connection.options.connectTimeout = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        connection.options.additionalStartupParameters = try Self.startupParameters(configuration)
        return connection
    }

    private static func clientConfiguration(
        _ location: PostgresURL,
        _ configuration: Configuration
    ) throws -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS
        switch location.tlsMode {
        case .disable: tls = .disable
        case .prefer: tls = .prefer(.makeClientConfiguration())
        case .require: tls = .require(.makeClientConfiguration())
        }
        var client = PostgresClient.Configuration(
            host: location.host,
            port: location.port,
            username: location.username,
            password: location.password,
            database: location.database,
            tls: tls
        )
        client.options.maximumConnections = configuration.maximumConnections
        client.options.connectTimeout = configuration.connectTimeout
        client.options.additionalStartupParameters = try Self.startupParameters(configuration)
        return client
    }

    private static func startupParameters(_ configuration: Configuration) throws -> [(String, String)] {
        guard let schema = configuration.schema else { return [] }
        guard !schema.isEmpty else {
            throw StorageError(.invalidConfiguration, message: "The PostgreSQL schema name is empty.")
        }
        // A startup parameter is a value, not SQL: the server parses it as a search_path list,
        // where the quoted form names exactly this schema.
        return [("search_path", Self.quotedIdentifier(schema))]
    }
}
