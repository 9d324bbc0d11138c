/// A credential: prints, interpolates, dumps and mirrors as `<redacted>`, and is not `Encodable`.
///
/// Reading the value needs ``withExposedValue(_:)``, which is easy to find in review.
public struct Secret<Value: Sendable>: Sendable {
    private let value: Value

    public init(_ value: Value) { self.value = value }

    /// Gives `body` the plain value. Keep the closure short, and do not log inside it.
    public func withExposedValue<Result>(_ body: (Value) throws -> Result) rethrows -> Result {
        try body(self.value)
    }
}

extension Secret: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}

extension Secret: Equatable where Value: Equatable {}
