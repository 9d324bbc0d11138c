import HTTPTypes
import KeelCore
import Synchronization

/// What a request asks for, as the limits see it when it is admitted: who sends it, to which
/// model, and the most it can use.
struct AdmissionDemand: Sendable {
    /// The request's record so far: org, team, project, user, key, tags and requested model.
    let record: RequestRecord
    /// Prompt tokens, estimated from the body.
    let inputTokens: Int
    /// Answer tokens reserved: the client's `max_tokens`, else `budgets.reserve_output_tokens`.
    let outputTokens: Int
    /// The worst-case cost with a given number of answer tokens (for streams that outgrow
    /// `outputTokens`).
    let outputCost: @Sendable (Int) -> USDNanos
    /// When the request arrived (Unix microseconds).
    let now: Int64
    private let givenWorstCase: USDNanos?

    init(
        record: RequestRecord,
        inputTokens: Int,
        outputTokens: Int,
        worstCaseCost: USDNanos? = nil,
        outputCost: @escaping @Sendable (Int) -> USDNanos,
        now: Int64
    ) {
        self.record = record
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.givenWorstCase = worstCaseCost
        self.outputCost = outputCost
        self.now = now
    }

    /// The most the request can cost: `inputTokens` and `outputTokens` at the dearest price among
    /// the deployments of the model and its fallbacks. Computed when asked, so requests that no
    /// budget covers never price themselves.
    var worstCaseCost: USDNanos { self.givenWorstCase ?? self.outputCost(self.outputTokens) }

    var totalTokens: Int { self.inputTokens + self.outputTokens }
}

/// A limit on what requests may use (budgets, rate limits). It reserves a request's share when
/// the request is admitted, or refuses it, and settles the reservation with the request's
/// record when the request ends, however it ends.
protocol AdmissionLimit: Sendable {
    /// Reserves `demand` against every rule of this limit that covers the request.
    ///
    /// - Returns: the reservation, or `nil` when no rule covers the request.
    /// - Throws: a `KeelError` (429) that names the rule that refused; nothing stays reserved.
    func admit(_ demand: AdmissionDemand) async throws(KeelError) -> (any AdmissionHold)?
}

/// A request's reservation against one ``AdmissionLimit``.
protocol AdmissionHold: Sendable {
    /// Response headers that describe the limit (`x-ratelimit-*`).
    func addHeaders(to headers: inout HTTPFields)

    /// Asks for room for `outputTokens` answer tokens, when a stream has produced more than it
    /// reserved. `nil` when granted; the error ends the stream.
    func extend(toOutputTokens outputTokens: Int) async -> KeelError?

    /// Releases the reservation and charges what `record` really used. Called exactly once.
    func settle(_ record: RequestRecord) async
}

/// The reservations of one request against all the limits, settled once with its record.
final class AdmissionHolds: Sendable {
    let holds: [any AdmissionHold]
    /// Answer tokens the reservations cover; a stream that goes past them asks for more.
    private let reservedOutput: Mutex<Int>
    private let settled = Atomic<Bool>(false)

    static let none = AdmissionHolds(holds: [], reservedOutputTokens: .max)

    init(holds: [any AdmissionHold], reservedOutputTokens: Int) {
        self.holds = holds
        self.reservedOutput = Mutex(holds.isEmpty ? .max : reservedOutputTokens)
    }

    var isEmpty: Bool { self.holds.isEmpty }

    func addHeaders(to headers: inout HTTPFields) {
        for hold in self.holds { hold.addHeaders(to: &headers) }
    }

    /// Whether a stream that has produced about `outputTokens` may go on: within the reservation
    /// at once; past it, each limit is asked for another `step` tokens.
    func allowStream(outputTokens: Int, step: Int) async -> KeelError? {
        let reserved = self.reservedOutput.withLock { $0 }
        guard outputTokens > reserved else { return nil }
        let target = outputTokens + step
        for hold in self.holds {
            if let refusal = await hold.extend(toOutputTokens: target) { return refusal }
        }
        self.reservedOutput.withLock { $0 = max($0, target) }
        return nil
    }

    /// Settles every reservation with the request's final record; later calls do nothing.
    func settle(_ record: RequestRecord) async {
        // `.none` is shared by every request no limit covers: nothing to settle, no shared write.
        guard !self.holds.isEmpty, !self.settled.exchange(true, ordering: .acquiringAndReleasing) else { return }
        for hold in self.holds { await hold.settle(record) }
    }
}
