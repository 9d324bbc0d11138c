import FoundationEssentials
import Hummingbird
import KeelCore
import NIOCore

extension AdminAPI {
    /// The body of `POST /admin/v1/guard/scan`.
    struct ScanInput: Decodable {
        let text: String
        let role: String?
    }

    /// `POST /admin/v1/guard/scan` `{"text": "…", "role": "user|tool|system|assistant"}` (role
    /// default `user`): what the content detectors see in a text, every detector on, with the
    /// configured injection threshold —
    /// `{"injection":{"score":…,"flagged":…,"signals":[…]},"pii":[{"type":…,"start":…,"end":…}],"secrets":[…]}`,
    /// offsets in Unicode scalars of the text, half-open. The matched values are never returned.
    ///
    /// For the admin key and the `admin` and `auditor` roles; 400 on a body that is not such an
    /// object or an unknown role.
    func scanContent(_ request: Request) async throws -> Response {
        let caller = try self.authenticate(request)
        guard caller.role == .admin || caller.role == .auditor else {
            throw KeelError.permissionDenied("Scanning content needs the admin or auditor role.")
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: Self.maxScanBytes)
        } catch {
            throw KeelError.payloadTooLarge(limit: Self.maxScanBytes)
        }
        let shape = "'text' (a string) and optionally 'role' (user, tool, system or assistant)"
        let input: ScanInput
        do {
            input = try JSONDecoder().decode(ScanInput.self, from: Data(body.readableBytesView))
        } catch {
            throw KeelError.invalidRequest("The body must be a JSON object with \(shape).")
        }
        guard let role = ContentRole(rawValue: input.role ?? ContentRole.user.rawValue) else {
            throw KeelError.invalidRequest("Invalid 'role': expected one of user, tool, system, assistant.", param: "role")
        }
        return try Self.encode(self.contentScanner.scan(input.text, role: role))
    }

    /// The largest body `guard/scan` reads.
    static let maxScanBytes = 1 << 20
}
