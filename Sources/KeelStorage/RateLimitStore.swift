public import KeelCore

/// Rate-limit rules made through the admin API, and the capacity every gateway instance leases
/// from the shared database: slices of a rule's window, and concurrency slots.
///
/// Rules of the configuration file are not stored; they and the stored rules share the window
/// and lease tables by rule id.
public protocol RateLimitStore: Sendable {
    /// Every stored rule, oldest first (then by id).
    func rules() async throws -> [RateLimitRule]
    /// Stores a new rule; an id that exists throws ``StorageError`` `.conflict`, a rule the
    /// schema refuses (no scope, no limit, a limit below 1) `.invalidValue`.
    func insert(_ rule: RateLimitRule) async throws
    /// Replaces the stored rule with `rule.id`; `false` when there is none.
    func update(_ rule: RateLimitRule) async throws -> Bool
    /// Deletes the rule and its windows and leases; `false` when there is none.
    func delete(id: String) async throws -> Bool

    /// Changes, in one atomic step, the capacity granted to all instances in the window of
    /// `ruleID` that starts at `windowStart` (Unix seconds): `requests` and `tokens` are asked
    /// for (positive) or given back (negative).
    ///
    /// A grant is cut so that the total granted never exceeds `requestLimit` / `tokenLimit` (a
    /// total already above a lowered limit stays, and nothing more is granted); a give-back never
    /// takes the total below zero. Concurrent calls, from any process, are serialised: no two
    /// are granted the same capacity.
    func adjustWindow(
        ruleID: String,
        windowStart: Int64,
        requests: Int,
        tokens: Int,
        requestLimit: Int,
        tokenLimit: Int
    ) async throws -> RateLimitWindowGrant

    /// Sets the concurrency slots of `ruleID` leased to `instanceID` to `slots`, cut so that the
    /// live leases of all instances together stay within `limit`, and renews the lease until
    /// `expiresAt` (Unix µs). Leases that expired at `now` are dropped first, so a dead
    /// instance's slots return. Atomic across processes. Returns the slots now leased to
    /// `instanceID`; 0 removes its lease.
    func leaseSlots(ruleID: String, instanceID: String, slots: Int, limit: Int, now: Int64, expiresAt: Int64) async throws -> Int

    /// Deletes windows that started before `windowsBefore` (Unix seconds) and leases expired at
    /// `now` (Unix µs).
    func purge(windowsBefore: Int64, now: Int64) async throws
}

/// What ``RateLimitStore/adjustWindow(ruleID:windowStart:requests:tokens:requestLimit:tokenLimit:)``
/// did: the change granted to the caller, and the totals granted to all instances afterwards.
public struct RateLimitWindowGrant: Sendable, Equatable {
    public var requests: Int
    public var tokens: Int
    public var totalRequests: Int
    public var totalTokens: Int

    public init(requests: Int, tokens: Int, totalRequests: Int, totalTokens: Int) {
        self.requests = requests
        self.tokens = tokens
        self.totalRequests = totalRequests
        self.totalTokens = totalTokens
    }
}
