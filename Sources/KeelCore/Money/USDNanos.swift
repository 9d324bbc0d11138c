/// An amount of US dollars in integer nano-dollars (10⁻⁹ $), so that sums are exact in Swift and in SQL.
///
/// `USDNanos(1_000_000_000)` is one dollar. Amounts are never floating point inside Keel; they become
/// decimal text only at the edge (`x-keel-cost-usd`, reports).
public struct USDNanos: Hashable, Comparable, Sendable, Codable, AdditiveArithmetic, CustomStringConvertible {
    public var rawValue: Int64

    public init(_ rawValue: Int64) { self.rawValue = rawValue }

    public static let zero = USDNanos(0)

    public static func + (lhs: Self, rhs: Self) -> Self { Self(lhs.rawValue + rhs.rawValue) }
    public static func - (lhs: Self, rhs: Self) -> Self { Self(lhs.rawValue - rhs.rawValue) }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        self.rawValue = try decoder.singleValueContainer().decode(Int64.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.rawValue)
    }

    /// The amount as a decimal dollar string with nine fractional digits, e.g. `0.000307500`.
    public var decimalString: String {
        let negative = self.rawValue < 0
        let magnitude = self.rawValue.magnitude
        let whole = magnitude / 1_000_000_000
        let fraction = String(magnitude % 1_000_000_000)
        let padded = String(repeating: "0", count: 9 - fraction.count) + fraction
        return (negative ? "-" : "") + "\(whole).\(padded)"
    }

    public var description: String { "$" + self.decimalString }
}
