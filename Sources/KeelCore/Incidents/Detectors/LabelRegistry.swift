/// A small, bounded set of labels (error classes, reported model versions)
/// with a count per label, so that per-model state stays fixed in size no
/// matter how many distinct strings a provider sends.
///
/// Labels are truncated to `maximumLabelLength` characters. Memory: at most
/// `capacity` × (label + 8-byte count), e.g. 32 × ~80 B ≈ 2.5 KB.
struct LabelRegistry: Sendable, Equatable {
    /// Longest label kept, in characters.
    static let maximumLabelLength = 64

    /// Maximum number of labels held.
    let capacity: Int
    /// Labels in insertion order.
    private(set) var labels: [String] = []
    /// Weighted occurrences per label.
    private(set) var counts: [Double] = []

    /// Creates an empty registry holding at most `capacity` labels.
    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// The label as it is stored (truncated).
    static func normalized(_ label: String) -> String {
        label.count > maximumLabelLength ? String(label.prefix(maximumLabelLength)) : label
    }

    /// Slot of `label`, if registered.
    func slot(of label: String) -> Int? {
        labels.firstIndex(of: Self.normalized(label))
    }

    /// Registers `label` if there is room and returns its slot; nil when full
    /// and not yet registered.
    mutating func register(_ label: String) -> Int? {
        let label = Self.normalized(label)
        if let existing = labels.firstIndex(of: label) { return existing }
        guard labels.count < capacity else { return nil }
        labels.append(label)
        counts.append(0)
        return labels.count - 1
    }

    /// Registers `label`, forgetting the oldest label first when full, and
    /// returns its slot.
    mutating func registerEvictingOldest(_ label: String) -> Int {
        if let slot = register(label) { return slot }
        labels.removeFirst()
        counts.removeFirst()
        labels.append(Self.normalized(label))
        counts.append(0)
        return labels.count - 1
    }

    /// Adds `weight` occurrences to the label in `slot`.
    mutating func count(slot: Int, weight: Double = 1) {
        counts[slot] += weight
    }

    /// The label with the most occurrences, nil when empty.
    var mostCommon: String? {
        guard let best = counts.indices.max(by: { counts[$0] < counts[$1] }) else { return nil }
        return labels[best]
    }
}
