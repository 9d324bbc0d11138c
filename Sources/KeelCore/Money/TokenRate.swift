/// A price per token in micro-dollars per million tokens, the unit provider price sheets use:
/// `$2.50 / 1M tokens` is exactly `TokenRate(2_500_000)`.
public struct TokenRate: Hashable, Sendable, Codable {
    public var microUSDPerMillionTokens: Int64

    public init(_ microUSDPerMillionTokens: Int64) {
        self.microUSDPerMillionTokens = microUSDPerMillionTokens
    }

    /// A rate from a dollar price per million tokens written as decimal text (`"2.50"`), exactly.
    ///
    /// Returns `nil` for text that is not a non-negative decimal with at most six fractional digits.
    public init?(dollarsPerMillion text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let wholeText = parts.first, !wholeText.isEmpty,
            wholeText.allSatisfy(\.isASCIIDigit), let whole = Int64(wholeText)
        else { return nil }
        var fraction: Int64 = 0
        if parts.count == 2 {
            let digits = parts[1]
            guard !digits.isEmpty, digits.count <= 6, digits.allSatisfy(\.isASCIIDigit) else { return nil }
            fraction = Int64(digits + String(repeating: "0", count: 6 - digits.count))!
        }
        self.init(whole * 1_000_000 + fraction)
    }

    /// The cost of `tokens` tokens, rounded half-up to the nano-dollar.
    ///
    /// tokens × µ$/1M = tokens × rate × 10⁻¹² $ = tokens × rate / 1000 n$. This is the only rounding
    /// rule for money in Keel.
    public func cost(of tokens: Int64) -> USDNanos {
        precondition(tokens >= 0, "token counts are never negative")
        let (product, overflow) = tokens.multipliedReportingOverflow(by: self.microUSDPerMillionTokens)
        precondition(!overflow, "token cost overflows Int64 nano-dollars")
        return USDNanos((product + 500) / 1000)
    }
}

extension Character {
    var isASCIIDigit: Bool { self.isASCII && self.isNumber }
}
