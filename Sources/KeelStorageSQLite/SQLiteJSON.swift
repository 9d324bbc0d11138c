import Foundation

/// JSON text bound as one statement argument (a list for `json_each`, a map column).
enum SQLiteJSON {
    /// `values` as a JSON array of strings.
    static func array(_ values: [String]) -> String {
        // Encoding an array of strings cannot fail.
        String(decoding: (try? JSONEncoder().encode(values)) ?? Data("[]".utf8), as: UTF8.self)
    }

    /// `values` as a JSON object, keys sorted so equal maps store equal text.
    static func object(_ values: [String: String]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(values)) ?? Data("{}".utf8), as: UTF8.self)
    }
}
