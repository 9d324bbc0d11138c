/// One request of a model reduced to five bytes of bin and slot indices, so
/// that the recent window of a model's traffic can be kept (and its oldest
/// requests subtracted again) in fixed memory.
struct TrafficRecord: Sendable, Equatable {
    /// Marker for "not applicable" (failed request, latency not measured).
    static let none: UInt8 = 0xFF

    /// Output-length bin, `none` for failed requests.
    var outputBin: UInt8
    /// `FinishReason.index`, `none` for failed requests.
    var finishReason: UInt8
    /// Error-class slot, `none` for successful requests.
    var errorSlot: UInt8
    /// Time-to-first-token bin, `none` when not measured.
    var timeToFirstTokenBin: UInt8
    /// Tokens-per-second bin, `none` when not measured.
    var tokensPerSecondBin: UInt8
}
