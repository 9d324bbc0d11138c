import Foundation
import NIOHTTP1

/// Tab-separated output and admin API calls shared by the commands that manage admin collections
/// (the tenancy tree, budgets, rate limits).
enum TenancyTable {
    /// Prints `rows` as tab-separated `columns` (JSON field names), with a header; a missing or
    /// null field is `-`.
    static func print(_ rows: [[String: Any]], columns: [String]) {
        Swift.print(columns.map { $0.uppercased() }.joined(separator: "\t"))
        for row in rows {
            Swift.print(
                columns.map { column in
                    switch row[column] {
                    case let text as String: text
                    case let number as NSNumber: number.stringValue
                    default: "-"
                    }
                }.joined(separator: "\t")
            )
        }
    }

    /// Every page of `path` (following `next_cursor`), with `query` parameters.
    static func list(
        _ connection: Keys.Connection,
        _ path: String,
        query: [(String, String?)]
    ) async throws -> [[String: Any]] {
        var rows: [[String: Any]] = []
        var cursor: String?
        repeat {
            var parameters = query.compactMap { name, value in value.map { "\(name)=\(Self.escape($0))" } }
            if let cursor { parameters.append("cursor=\(Self.escape(cursor))") }
            parameters.append("limit=1000")
            let page =
                try await connection.call(.GET, path + "?" + parameters.joined(separator: "&")) as? [String: Any] ?? [:]
            rows += page["data"] as? [[String: Any]] ?? []
            cursor = page["next_cursor"] as? String
        } while cursor != nil
        return rows
    }

    /// `GET /admin/v1/{collection}/{id}`, printed as one row of `columns`.
    static func show(_ connection: Keys.Connection, _ collection: String, id: String, columns: [String]) async throws {
        let row = try await connection.call(.GET, "/admin/v1/\(collection)/\(Self.escape(id))") as? [String: Any] ?? [:]
        Self.print([row], columns: columns)
    }

    /// `DELETE /admin/v1/{collection}/{id}`, then says what went.
    static func delete(_ connection: Keys.Connection, _ collection: String, id: String, noun: String) async throws {
        _ = try await connection.call(.DELETE, "/admin/v1/\(collection)/\(Self.escape(id))")
        Swift.print("Deleted \(noun) \(id).")
    }

    static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~")))
            ?? text
    }
}
