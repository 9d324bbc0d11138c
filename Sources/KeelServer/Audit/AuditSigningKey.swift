import FoundationEssentials
import KeelCore
import KeelStorage

/// The key that signs the audit log's checkpoints, loaded at start or generated on the first.
enum AuditSigningKey {
    /// The `setting` that holds the key when no key file is configured.
    static let settingName = "audit_signer_key"

    /// The key of `compliance.audit.signing_key_file` (written there, readable by its owner only,
    /// when the file does not exist), else the one kept in the database. A generated key is named
    /// `compliance.audit.origin`; instances sharing a database all get the first one stored.
    static func load(_ configuration: KeelConfiguration.Compliance.Audit, settings: any SettingStore) async throws -> NoteSigner {
        if let path = configuration.signingKeyFile {
            if FileManager.default.fileExists(atPath: path) {
                return try Self.read(path)
            }
            let generated = try NoteSigner.generate(name: configuration.origin)
            let text = generated.keyString.withExposedValue { $0 } + "\n"
            guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
                throw AuditKeyError(message: "The audit signing key file '\(path)' could not be created.")
            }
            return generated
        }
        let generated = try NoteSigner.generate(name: configuration.origin)
        let stored = try await settings.insertIfAbsent(generated.keyString.withExposedValue { $0 }, for: Self.settingName)
        do {
            return try NoteSigner(parsing: Secret(stored))
        } catch {
            throw AuditKeyError(message: "The audit signing key in the database is not a signer key.")
        }
    }

    /// The signer key in the file at `path` (`PRIVATE+KEY+…`, white space around it ignored).
    static func read(_ path: String) throws -> NoteSigner {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AuditKeyError(message: "The audit signing key file '\(path)' cannot be read.")
        }
        let text = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isWhitespace).first.map(String.init) ?? ""
        do {
            return try NoteSigner(parsing: Secret(text))
        } catch {
            throw AuditKeyError(message: "The audit signing key file '\(path)' does not hold a signer key (PRIVATE+KEY+name+id+key).")
        }
    }
}

/// The audit signing key could not be loaded.
struct AuditKeyError: Error, CustomStringConvertible {
    let message: String
    var description: String { self.message }
}
