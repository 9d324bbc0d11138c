/// Small named values the gateway keeps across restarts (the hash of a generated admin key).
public protocol SettingStore: Sendable {
    func value(for name: String) async throws -> String?
    /// Stores `value` under `name` unless a value is already there; returns the stored value.
    func insertIfAbsent(_ value: String, for name: String) async throws -> String
    func setValue(_ value: String, for name: String) async throws
}
