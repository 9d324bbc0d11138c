import KeelStorage
import KeelStorageSQLite
import KeelStoragePostgres
import Logging
import NIOCore

/// The database behind `storage.url`: the embedded SQLite file, or a PostgreSQL database that
/// several gateway instances share. Either is open and migrated once `open` returns.
struct StorageBackend: Sendable {
    let stores: KeelStores
    /// The database's URL with any password removed, for the start-up line.
    let description: String
    private let closer: @Sendable () async -> Void

    static func open(_ storage: KeelConfiguration.Storage, eventLoopGroup: any EventLoopGroup, logger: Logger) async throws -> StorageBackend {
        if storage.isPostgres {
            let backend = try await PostgresBackend.open(
                url: storage.url,
                configuration: .init(maximumConnections: storage.maxConnections, schema: storage.schema),
                eventLoopGroup: eventLoopGroup,
                logger: logger
            )
            return StorageBackend(stores: backend.stores, description: backend.redactedURL, closer: { await backend.shutdown() })
        }
        guard let path = storage.sqlitePath else {
            throw ConfigurationError(issues: [.init(key: "storage.url", reason: "must be sqlite://PATH or postgres://USER@HOST:PORT/DATABASE")])
        }
        let backend = try await SQLiteBackend.open(path: path, logger: logger)
        return StorageBackend(stores: backend.stores, description: "sqlite://" + path, closer: { try? backend.close() })
    }

    /// Closes the database; call once, after the last write.
    func close() async {
        await self.closer()
    }
}
