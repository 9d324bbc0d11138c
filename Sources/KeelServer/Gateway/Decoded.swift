import KeelCore
import Synchronization

/// A value decoded at most once, on first use, by whichever attempt needs it first — attempts
/// may run concurrently when a request is hedged.
final class Decoded<Value: Sendable>: Sendable {
    private let value = Mutex<Value?>(nil)
    private let decode: @Sendable () throws(KeelError) -> Value

    init(_ decode: @escaping @Sendable () throws(KeelError) -> Value) {
        self.decode = decode
    }

    func get() throws(KeelError) -> Value {
        if let value = self.value.withLock({ $0 }) { return value }
        let decoded = try self.decode()
        self.value.withLock { $0 = decoded }
        return decoded
    }
}
