import KeelStorage

/// The parts of a `postgres://user:password@host:port/database?sslmode=…` URL.
///
/// Parsed by hand rather than with Foundation's `URL`, so that a password with reserved
/// characters (percent-encoded, as libpq expects) and an IPv6 host in brackets read the same on
/// every platform. Errors never repeat the URL: it may hold a password.
struct PostgresURL: Sendable, Equatable {
    enum TLSMode: String, Sendable, Equatable {
        case disable
        case prefer
        case require
    }

    var host: String
    var port: Int
    var username: String
    var password: String?
    var database: String?
    var tlsMode: TLSMode

    /// Parses `text`.
    ///
    /// - Throws: ``StorageError`` `.invalidConfiguration` naming the part that is wrong.
    init(parsing text: String) throws {
        var rest = Substring(text)
        guard let schemeEnd = rest.firstRange(of: "://") else { throw Self.invalid("it does not start with postgres://") }
        let scheme = rest[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "postgres" || scheme == "postgresql" else {
            throw Self.invalid("the scheme is '\(scheme)', not postgres or postgresql")
        }
        rest = rest[schemeEnd.upperBound...]

        var query: Substring = ""
        if let questionMark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: questionMark)...]
            rest = rest[..<questionMark]
        }
        var path: Substring = ""
        if let slash = rest.firstIndex(of: "/") {
            path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
        }

        // The user information ends at the last "@": a raw "@" in a password is common.
        var hostPort = rest
        var username: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            hostPort = rest[rest.index(after: at)...]
            if let colon = userInfo.firstIndex(of: ":") {
                username = try Self.decode(userInfo[..<colon], part: "user name")
                password = try Self.decode(userInfo[userInfo.index(after: colon)...], part: "password")
            } else {
                username = try Self.decode(userInfo, part: "user name")
            }
        }

        var host: Substring
        var portText: Substring?
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { throw Self.invalid("the IPv6 host has no closing ]") }
            host = hostPort[hostPort.index(after: hostPort.startIndex)..<close]
            let afterHost = hostPort[hostPort.index(after: close)...]
            if afterHost.hasPrefix(":") {
                portText = afterHost.dropFirst()
            } else if !afterHost.isEmpty {
                throw Self.invalid("unexpected text after the IPv6 host")
            }
        } else if let colon = hostPort.lastIndex(of: ":") {
            host = hostPort[..<colon]
            portText = hostPort[hostPort.index(after: colon)...]
        } else {
            host = hostPort
        }
        guard !host.isEmpty else { throw Self.invalid("the host is missing") }
        var port = 5432
        if let portText {
            guard let parsed = Int(portText), (1...65535).contains(parsed) else {
                throw Self.invalid("the port is not a number from 1 to 65535")
            }
            port = parsed
        }
        guard let username, !username.isEmpty else { throw Self.invalid("the user name is missing") }

        var tlsMode = TLSMode.prefer
        for pair in query.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = try Self.decode(parts[0], part: "query parameter")
            let value = parts.count > 1 ? try Self.decode(parts[1], part: "query parameter") : ""
            switch name {
            case "sslmode":
                switch value {
                case "disable": tlsMode = .disable
                case "prefer": tlsMode = .prefer
                case "require", "verify-ca", "verify-full": tlsMode = .require
                default: throw Self.invalid("sslmode must be disable, prefer, require or verify-full")
                }
            default:
                throw Self.invalid("unknown query parameter '\(name)' (only sslmode is supported)")
            }
        }

        let database = try Self.decode(path, part: "database name")
        self.host = String(host)
        self.port = port
        self.username = username
        self.password = password
        self.database = database.isEmpty ? nil : database
        self.tlsMode = tlsMode
    }

    /// The URL without its password, for logs and ``KeelStores/backendDescription``.
    var redacted: String {
        let host = self.host.contains(":") ? "[\(self.host)]" : self.host
        return "postgres://\(self.username)@\(host):\(self.port)/\(self.database ?? "")"
    }

    private static func invalid(_ reason: String) -> StorageError {
        StorageError(.invalidConfiguration, message: "Invalid PostgreSQL URL: \(reason).")
    }

    private static func decode(_ text: Substring, part: String) throws -> String {
        guard text.contains("%") else { return String(text) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(Self.hexValue), let low = iterator.next().flatMap(Self.hexValue) else {
                throw Self.invalid("the \(part) has a malformed percent escape")
            }
            bytes.append(high << 4 | low)
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else {
            throw Self.invalid("the \(part) is not UTF-8 once decoded")
        }
        return decoded
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
