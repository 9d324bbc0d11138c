/// What a content detector found: which kind of value, where it is in the scanned text, and the
/// value itself.
///
/// Offsets count Unicode scalars of the scanned text and the range is half-open
/// (`start..<end`), so a client in any language can slice the text it sent without knowing how
/// Keel stores strings. The matched `text` stays in process: it feeds redaction and is never
/// encoded, because the admin API reports where a value is, not what it is.
public struct GuardFinding: Sendable, Hashable, Codable {
    /// The kind of value found.
    public var type: GuardFindingType
    /// The offset of the first Unicode scalar of the value.
    public var start: Int
    /// The offset just past the last Unicode scalar of the value.
    public var end: Int
    /// The value as it appears in the scanned text (empty when decoded from JSON).
    public var text: String

    public init(type: GuardFindingType, start: Int, end: Int, text: String) {
        self.type = type
        self.start = start
        self.end = end
        self.text = text
    }

    enum CodingKeys: String, CodingKey {
        case type, start, end
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.type = try container.decode(GuardFindingType.self, forKey: .type)
        self.start = try container.decode(Int.self, forKey: .start)
        self.end = try container.decode(Int.self, forKey: .end)
        self.text = ""
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.type, forKey: .type)
        try container.encode(self.start, forKey: .start)
        try container.encode(self.end, forKey: .end)
    }
}

/// The kinds of personal data and credentials the content detectors know, with the stable
/// snake_case names the admin API and policies use.
public enum GuardFindingType: String, Sendable, Hashable, Codable, CaseIterable {
    // Personal and health data (PII/PHI).
    case email
    case phone
    case usSSN = "us_ssn"
    case paymentCard = "payment_card"
    case iban
    case ipAddress = "ip_address"
    case url
    case dateOfBirth = "date_of_birth"
    case medicalRecordNumber = "medical_record_number"
    case healthPlanNumber = "health_plan_number"
    case streetAddress = "street_address"
    case personName = "person_name"
    // Credentials.
    case awsAccessKeyID = "aws_access_key_id"
    case githubToken = "github_token"
    case slackToken = "slack_token"
    case stripeKey = "stripe_key"
    case openAIKey = "openai_api_key"
    case anthropicKey = "anthropic_api_key"
    case googleAPIKey = "google_api_key"
    case jwt
    case privateKey = "private_key"
    case contextualSecret = "contextual_secret"

    /// Whether the value is a credential rather than personal data.
    public var isSecret: Bool {
        switch self {
        case .email, .phone, .usSSN, .paymentCard, .iban, .ipAddress, .url, .dateOfBirth, .medicalRecordNumber,
            .healthPlanNumber, .streetAddress, .personName:
            false
        case .awsAccessKeyID, .githubToken, .slackToken, .stripeKey, .openAIKey, .anthropicKey, .googleAPIKey, .jwt,
            .privateKey, .contextualSecret:
            true
        }
    }

    /// The label of the placeholder that replaces a redacted value (`[EMAIL_1]`): the raw value
    /// in upper case, so a reader of a redacted prompt, human or model, sees what was there.
    public var placeholderLabel: String {
        self.rawValue.uppercased()
    }

    /// The personal and health data types.
    public static let personalData: [GuardFindingType] = Self.allCases.filter { !$0.isSecret }
    /// The credential types.
    public static let secrets: [GuardFindingType] = Self.allCases.filter(\.isSecret)
}
