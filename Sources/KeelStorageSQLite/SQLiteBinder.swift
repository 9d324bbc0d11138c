import GRDB
import GRDBSQLite
import KeelStorage

/// Binds values to a prepared statement's parameters in order, starting at the first, with
/// SQLite's own calls. Text and blobs are copied by SQLite (`SQLITE_TRANSIENT`), so the statement
/// outlives them.
struct SQLiteBinder {
    let statement: SQLiteStatement
    private(set) var index: Int32 = 1

    init(statement: SQLiteStatement) {
        self.statement = statement
    }

    mutating func bind(_ value: SQLValue) {
        switch value {
        case .null: sqlite3_bind_null(self.statement, self.index)
        case .int(let number): sqlite3_bind_int64(self.statement, self.index, number)
        case .double(let number): sqlite3_bind_double(self.statement, self.index, number)
        case .bool(let flag): sqlite3_bind_int64(self.statement, self.index, flag ? 1 : 0)
        case .text(var text):
            text.withUTF8 { bytes in
                // A non-null pointer even for "", so SQLite stores an empty text, not NULL.
                let base = bytes.baseAddress.map { UnsafeRawPointer($0) } ?? UnsafeRawPointer(bitPattern: 1)!
                _ = sqlite3_bind_text(
                    self.statement, self.index, base.assumingMemoryBound(to: CChar.self), Int32(bytes.count), Self.transient
                )
            }
        case .blob(let bytes):
            bytes.withUnsafeBytes { buffer in
                // A non-null pointer even for no bytes, so SQLite stores an empty blob, not NULL.
                let base = buffer.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!
                _ = sqlite3_bind_blob(self.statement, self.index, base, Int32(buffer.count), Self.transient)
            }
        }
        self.index += 1
    }

    /// SQLite's `SQLITE_TRANSIENT`: copy the bytes before the call returns.
    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
}
