import KeelCore

extension SQLStatement {
    /// `SELECT value FROM …` the strings of `values`, bound as one JSON array parameter: for
    /// `column IN (…)` with a set whose size must not change the statement's text (SQLite caches
    /// each text prepared). An empty set matches nothing.
    package static func values(ofJSONArray values: some Sequence<String>) -> SQLStatement {
        let json = "[" + values.map(JSONWriter.quoted).joined(separator: ",") + "]"
        return "SELECT value FROM \(sqlite: "json_each(", postgres: "json_array_elements_text(")\(json)\(sqlite: ")", postgres: "::json)")"
    }
}
