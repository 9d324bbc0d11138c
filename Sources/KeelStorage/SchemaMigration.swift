/// One forward-only schema change, written in the database's own SQL.
///
/// Never edit a migration once it is merged; add the next one instead. Ids are unique and
/// increasing within a backend's list.
public struct SchemaMigration: Sendable {
    public let id: String
    public let sql: String

    public init(id: String, sql: String) {
        self.id = id
        self.sql = sql
    }
}
