/// A typed identifier, so that a key id cannot be passed where a team id is expected.
public struct Identifier<Tag>: Hashable, Sendable, Codable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let rawValue: String

    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }

    public init(from decoder: any Decoder) throws {
        self.rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.rawValue)
    }

    public var description: String { self.rawValue }
}

public enum RequestTag {}
public enum KeyTag {}
public enum OrgTag {}
public enum TeamTag {}
public enum ProjectTag {}
public enum UserTag {}

public typealias RequestID = Identifier<RequestTag>
public typealias KeyID = Identifier<KeyTag>
public typealias OrgID = Identifier<OrgTag>
public typealias TeamID = Identifier<TeamTag>
public typealias ProjectID = Identifier<ProjectTag>
public typealias UserID = Identifier<UserTag>

/// The ids a user chooses (agents, organisations, teams, MCP servers): 1 to 64 letters, digits,
/// `.`, `_` or `-`, starting with a letter or a digit.
public enum ChosenID {
    public static func isValid(_ text: String) -> Bool {
        guard (1...64).contains(text.utf8.count), let first = text.utf8.first, Self.isAlphanumeric(first) else {
            return false
        }
        return text.utf8.allSatisfy { byte in Self.isAlphanumeric(byte) || byte == 0x2E || byte == 0x5F || byte == 0x2D
        }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }
}
