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
