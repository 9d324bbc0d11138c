import Foundation
import Testing

/// The corpora of `Fixtures/`, written by others (sources and licences in `Fixtures/README.md`).
enum GuardFixtures {
    static func object(_ name: String) throws -> [String: Any] {
        let url = try #require(
            Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures"),
            "missing fixture \(name)"
        )
        let data = try Data(contentsOf: url)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// The strings under `key` of the fixture `name`.json.
    static func strings(_ name: String, _ key: String) throws -> [String] {
        try #require(try Self.object(name)[key] as? [String], "no list \(key) in \(name)")
    }

    /// The half of a corpus used to tune the detectors (even positions) or the half held out to
    /// report on (odd positions).
    static func split(_ items: [String], heldOut: Bool) -> [String] {
        items.enumerated().filter { ($0.offset % 2 == 1) == heldOut }.map(\.element)
    }

    /// Whether to print the misses of corpus tests (`KEEL_GUARD_DUMP=1`), for tuning.
    static let dump = ProcessInfo.processInfo.environment["KEEL_GUARD_DUMP"] == "1"
}
