/// A set of finding types, one bit each, so that merging the rules of several policies and
/// looking up the action for a finding never allocate.
public struct GuardTypeSet: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32

    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    public init(types: some Sequence<GuardFindingType>) {
        var raw: UInt32 = 0
        for type in types { raw |= Self.bit(type) }
        self.init(rawValue: raw)
    }

    public func contains(_ type: GuardFindingType) -> Bool {
        self.rawValue & Self.bit(type) != 0
    }

    /// The types in the set, in the detectors' order.
    public var types: [GuardFindingType] {
        GuardFindingType.allCases.filter { self.contains($0) }
    }

    /// Every personal and health data type.
    public static let personalData = GuardTypeSet(types: GuardFindingType.personalData)
    /// Every credential type.
    public static let secrets = GuardTypeSet(types: GuardFindingType.secrets)

    static func bit(_ type: GuardFindingType) -> UInt32 {
        1 << UInt32(Self.ordinals[type]!)
    }

    private static let ordinals: [GuardFindingType: Int] = {
        precondition(GuardFindingType.allCases.count <= 32, "GuardTypeSet holds at most 32 types")
        var ordinals: [GuardFindingType: Int] = [:]
        for (index, type) in GuardFindingType.allCases.enumerated() { ordinals[type] = index }
        return ordinals
    }()
}

/// A set of content roles (who wrote a piece of a conversation), one bit each.
public struct ContentRoleSet: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8

    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    public init(roles: some Sequence<ContentRole>) {
        var raw: UInt8 = 0
        for role in roles { raw |= Self.bit(role) }
        self.init(rawValue: raw)
    }

    public static let user = ContentRoleSet(rawValue: 1 << 0)
    public static let tool = ContentRoleSet(rawValue: 1 << 1)
    public static let system = ContentRoleSet(rawValue: 1 << 2)
    public static let assistant = ContentRoleSet(rawValue: 1 << 3)

    public func contains(_ role: ContentRole) -> Bool {
        self.rawValue & Self.bit(role) != 0
    }

    /// The roles in the set, in ``ContentRole`` order.
    public var roles: [ContentRole] {
        ContentRole.allCases.filter { self.contains($0) }
    }

    static func bit(_ role: ContentRole) -> UInt8 {
        switch role {
        case .user: Self.user.rawValue
        case .tool: Self.tool.rawValue
        case .system: Self.system.rawValue
        case .assistant: Self.assistant.rawValue
        }
    }
}
