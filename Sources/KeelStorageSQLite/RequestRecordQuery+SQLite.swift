import GRDB
import KeelStorage

extension RequestRecordQuery {
    /// ``pageStatement`` as SQLite runs it, for the tests that read its query plan.
    func sqliteSelect() -> (sql: String, arguments: StatementArguments) {
        let (sql, values) = self.pageStatement.rendered(for: .sqlite)
        return (sql, StatementArguments(values.map(SQLiteDatabase.databaseValue)))
    }
}
