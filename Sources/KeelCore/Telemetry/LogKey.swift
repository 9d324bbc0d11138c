/// Every log metadata key Keel uses; GenAI semantic-convention names where they exist.
public enum LogKey {
    public static let requestID = "keel.request.id"
    public static let keyID = "keel.key.id"
    public static let provider = "gen_ai.provider.name"
    public static let model = "gen_ai.request.model"
    public static let errorType = "error.type"
    public static let deployment = "keel.deployment"
}
