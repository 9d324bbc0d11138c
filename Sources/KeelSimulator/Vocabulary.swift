/// The words of simulated answers. Each has at most four UTF-8 bytes, so each is exactly one
/// token under ``SimulatedTokenizer``; none contains characters that JSON must escape.
enum Vocabulary {
    static let words: [String] = [
        "the", "keel", "ship", "sea", "wind", "sail", "port", "boat",
        "mast", "deck", "tide", "wave", "map", "star", "moon", "sun",
        "fish", "rope", "knot", "helm", "bow", "hull", "reef", "bay",
        "cove", "gull", "salt", "foam", "calm", "gale", "fog", "rain",
        "east", "west", "dock", "crew", "mate", "oar", "sand", "rock",
        "isle", "path", "far", "near", "deep", "blue", "gray", "dark",
        "warm", "cold", "fast", "slow", "long", "new", "old", "true",
        "kind", "bold", "safe", "home", "land", "sky", "hope", "and",
    ]
}
