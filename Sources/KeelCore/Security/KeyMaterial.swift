import Crypto

/// Creating, hashing and comparing API keys.
public enum KeyMaterial {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)

    /// A new random key, `sk-keel-` followed by 40 base-62 characters (about 238 bits).
    public static func generate(prefix: String = "sk-keel-") -> String {
        var generator = SystemRandomNumberGenerator()
        var characters = [UInt8]()
        characters.reserveCapacity(40)
        for _ in 0..<40 { characters.append(Self.alphabet[Int(generator.next(upperBound: UInt64(Self.alphabet.count)))]) }
        return prefix + String(decoding: characters, as: UTF8.self)
    }

    /// Lowercase hex SHA-256 of `key`: what is stored and looked up, never the key itself.
    public static func hash(_ key: String) -> String {
        let digest = SHA256.hash(data: Array(key.utf8))
        var hex = ""
        hex.reserveCapacity(64)
        let digits = Array("0123456789abcdef".utf8)
        for byte in digest {
            hex.unicodeScalars.append(Unicode.Scalar(digits[Int(byte >> 4)]))
            hex.unicodeScalars.append(Unicode.Scalar(digits[Int(byte & 0x0F)]))
        }
        return hex
    }

    /// Compares two hashes without an early exit, so timing does not reveal a matching prefix.
    public static func constantTimeEquals(_ lhs: String, _ rhs: String) -> Bool {
        let left = Array(lhs.utf8)
        let right = Array(rhs.utf8)
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for index in left.indices { difference |= left[index] ^ right[index] }
        return difference == 0
    }

    /// The part of a key that is safe to show in lists: its first 12 characters.
    public static func displayPrefix(_ key: String) -> String {
        String(key.prefix(12))
    }
}
