import Foundation
import KeelStorage
import Logging
import NIOCore
import PostgresNIO

/// The SQL layer on PostgreSQL, through PostgresNIO's `PostgresClient` pool: each statement
/// leases a connection for itself, each transaction one for its whole length.
struct PostgresDatabase: SQLDatabase {
    let client: PostgresClient

    var dialect: SQLDialect { .postgres }

    func rows(_ statement: SQLStatement) async throws -> [SQLRow] {
        do {
            return try await self.client.withConnection { connection in
                try await Self.fetch(statement, on: connection).rows
            }
        } catch {
            throw StorageError.mappingPostgres(error, table: statement.table)
        }
    }

    @discardableResult
    func run(_ statement: SQLStatement) async throws -> Int {
        do {
            return try await self.client.withConnection { connection in
                try await Self.fetch(statement, on: connection).changed
            }
        } catch {
            throw StorageError.mappingPostgres(error, table: statement.table)
        }
    }

    /// Throws what `body` threw (after the rollback), or the error of `BEGIN` or `COMMIT` (a
    /// refused deferred constraint as ``StorageError``), as the SQLite backend does.
    func transaction<Result: Sendable>(_ body: (any SQLTransaction) async throws -> Result) async throws -> Result {
        do {
            return try await self.client.withTransaction(logger: PostgresBackend.quietLogger) { connection in
                try await body(Transaction(connection: connection))
            }
        } catch let error as PostgresTransactionError {
            if let closureError = error.closureError { throw closureError }
            if let commitError = error.commitError {
                throw StorageError.mappingPostgres(commitError, table: "the database")
            }
            throw error.beginError ?? error
        }
    }

    /// The statements of a transaction, on its connection.
    private struct Transaction: SQLTransaction {
        let connection: PostgresConnection

        var dialect: SQLDialect { .postgres }

        func rows(_ statement: SQLStatement) async throws -> [SQLRow] {
            do {
                return try await PostgresDatabase.fetch(statement, on: self.connection).rows
            } catch {
                throw StorageError.mappingPostgres(error, table: statement.table)
            }
        }

        @discardableResult
        func run(_ statement: SQLStatement) async throws -> Int {
            do {
                return try await PostgresDatabase.fetch(statement, on: self.connection).changed
            } catch {
                throw StorageError.mappingPostgres(error, table: statement.table)
            }
        }

        /// A transaction-level advisory lock on a 64-bit hash of `name`, released at commit or
        /// rollback.
        func lock(_ name: String) async throws {
            try await self.run("SELECT pg_advisory_xact_lock(hashtextextended(\(name), 0))")
        }
    }

    /// Runs `statement` on `connection`: its rows, and the count of rows its command tag reports.
    static func fetch(
        _ statement: SQLStatement,
        on connection: PostgresConnection
    ) async throws -> (rows: [SQLRow], changed: Int) {
        let (sql, values) = statement.rendered(for: .postgres)
        var bindings = PostgresBindings(capacity: values.count)
        for value in values {
            switch value {
            case .null: bindings.appendNull()
            case .int(let number): bindings.append(number)
            case .double(let number): bindings.append(number)
            case .text(let text): bindings.append(text)
            case .bool(let flag): bindings.append(flag)
            case .blob(let bytes): bindings.append(ByteBuffer(bytes: bytes))
            }
        }
        let query = PostgresQuery(unsafeSQL: sql, binds: bindings)
        let future: EventLoopFuture<PostgresQueryResult> = connection.query(query, logger: PostgresBackend.quietLogger)
        let result = try await future.get()
        var columns: SQLColumns?
        var rows: [SQLRow] = []
        rows.reserveCapacity(result.rows.count)
        for row in result.rows {
            let cells = Array(row)
            let names = columns ?? SQLColumns(names: cells.map(\.columnName), of: statement)
            columns = names
            rows.append(SQLRow(columns: names, values: try cells.map { try Self.value($0, table: names.table) }))
        }
        return (rows, result.metadata.rows ?? 0)
    }

    /// The value of `cell` in the types of ``SQLValue``.
    /// `table` is read only for an error: it parses the statement's text, and reading it for
    /// every cell made a page of 1,000 records cost seconds.
    static func value(_ cell: PostgresCell, table: @autoclosure () -> String) throws -> SQLValue {
        guard cell.bytes != nil else { return .null }
        do {
            switch cell.dataType {
            case .int2, .int4, .int8: return .int(try cell.decode(Int64.self))
            case .float4, .float8: return .double(try cell.decode(Double.self))
            case .bool: return .bool(try cell.decode(Bool.self))
            case .bytea: return .blob(Array((try cell.decode(ByteBuffer.self)).readableBytesView))
            case .jsonb:
                // The binary format is a version byte (1), then the JSON text.
                var bytes = try cell.decode(ByteBuffer.self)
                if cell.format == .binary, bytes.readInteger(as: UInt8.self) != 1 {
                    throw StorageError.invalidStoredValue(table: table(), column: cell.columnName)
                }
                guard let text = bytes.readString(length: bytes.readableBytes) else {
                    throw StorageError.invalidStoredValue(table: table(), column: cell.columnName)
                }
                return .text(text)
            case .json:
                var bytes = try cell.decode(ByteBuffer.self)
                return .text(bytes.readString(length: bytes.readableBytes) ?? "")
            case .numeric:
                let number = try cell.decode(Decimal.self)
                let text = "\(number)"
                if let integer = Int64(text) { return .int(integer) }
                return .double(NSDecimalNumber(decimal: number).doubleValue)
            default: return .text(try cell.decode(String.self))
            }
        } catch {
            throw StorageError.invalidStoredValue(table: table(), column: cell.columnName)
        }
    }
}
