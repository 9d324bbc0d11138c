import GRDB
import GRDBSQLite

/// Binds values to a prepared statement's parameters in order, starting at the first.
/// Text is copied by SQLite (`SQLITE_TRANSIENT`), so the statement outlives the strings.
struct SQLiteBinder {
    let statement: SQLiteStatement
    private(set) var index: Int32 = 1

    init(statement: SQLiteStatement) {
        self.statement = statement
    }

    mutating func bind(_ value: Int64) {
        sqlite3_bind_int64(self.statement, self.index, value)
        self.index += 1
    }

    mutating func bind(_ value: Int64?) {
        if let value {
            sqlite3_bind_int64(self.statement, self.index, value)
        } else {
            sqlite3_bind_null(self.statement, self.index)
        }
        self.index += 1
    }

    mutating func bind(_ value: String?) {
        if var value {
            value.withUTF8 { bytes in
                // A non-null pointer even for "", so SQLite stores an empty text, not NULL.
                let base = bytes.baseAddress.map { UnsafeRawPointer($0) } ?? UnsafeRawPointer(bitPattern: 1)!
                _ = sqlite3_bind_text(
                    self.statement, self.index, base.assumingMemoryBound(to: CChar.self), Int32(bytes.count), Self.transient
                )
            }
        } else {
            sqlite3_bind_null(self.statement, self.index)
        }
        self.index += 1
    }

    /// Resets `statement`, lets `bind` bind every parameter, and runs it to completion.
    ///
    /// - Throws: GRDB's `DatabaseError` with SQLite's result code and message.
    static func execute(_ statement: Statement, in db: Database, bind: (SQLiteStatement) -> Void) throws {
        let sqliteStatement = statement.sqliteStatement
        sqlite3_reset(sqliteStatement)
        bind(sqliteStatement)
        let code = sqlite3_step(sqliteStatement)
        guard code == SQLITE_DONE else {
            let message = sqlite3_errmsg(db.sqliteConnection).map { String(cString: $0) }
            sqlite3_reset(sqliteStatement)
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: statement.sql)
        }
    }

    /// SQLite's `SQLITE_TRANSIENT`: copy the bytes before the call returns.
    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
}
