/// The word families of the injection phrases: each a name and the words, folded to lower-case
/// ASCII, that play the same part in an attack phrase.
extension InjectionVocabulary {
    /// The word families, by name. Phrases refer to them by these names.
    static let families: [(name: String, words: [String])] = [
        (
            "discard",
            [
                "ignore", "ignoring", "ignored", "disregard", "disregarding", "forget", "forgetting", "override",
                "overriding",
                "overwrite", "bypass", "bypassing", "circumvent", "neglect", "overlook", "abandon", "discard",
                "dismiss",
                "ditch", "nullify", "void", "suspend", "unlearn", "evade", "violate", "violating", "disobey", "defy",
                "disable", "deactivate", "purge", "scrap", "ignores", "disregards", "overrides", "bypasses",
            ]
        ),
        ("quantifier", ["all", "any", "every", "everything", "each", "whatever", "anything"]),
        (
            "prior",
            [
                "previous", "previously", "prior", "above", "earlier", "preceding", "former", "initial", "original",
                "old",
                "past", "foregoing", "existing", "default", "given", "preset", "programmed", "system", "developer",
                "hidden",
                "starting", "first", "your", "those", "these", "its", "current", "standard", "built", "preprogrammed",
                "safety",
                "openai", "anthropic", "ethical", "moral", "content", "core", "base", "internal",
            ]
        ),
        (
            "instructions",
            [
                "instructions", "instruction", "rules", "rule", "guidelines", "guideline", "directions", "directives",
                "directive",
                "prompt", "prompts", "constraints", "restrictions", "programming", "policies", "policy", "guardrails",
                "orders",
                "commands", "training", "conditioning", "limitations", "boundaries", "safeguards", "protocols",
                "guidance", "principles", "told", "context", "ethics", "morals", "limits", "regulations",
                "restraints", "preprompt", "commandments", "teachings", "directions",
            ]
        ),
        ("you", ["you", "your", "yourself", "youre", "u", "ur", "youll", "youve", "thou", "ya"]),
        ("now", ["now", "henceforth", "onwards", "onward", "forth", "forward", "forwards"]),
        ("from", ["from"]),
        ("on", ["on"]),
        ("new", ["new", "updated", "revised", "real", "true", "actual"]),
        (
            "task",
            [
                "task", "tasks", "instructions", "instruction", "role", "goal", "objective", "job", "purpose",
                "mission",
                "directive", "orders", "rules", "persona", "identity", "name", "assignment", "prompt",
            ]
        ),
        (
            "jailbreakTerm",
            [
                "jailbreak", "jailbroken", "jailbreaking", "jailbreaks", "unfiltered", "uncensored", "unrestricted",
                "unshackled", "unchained", "amoral", "devmode", "godmode", "antidan", "betterdan", "unaligned",
                "unmoderated",
            ]
        ),
        (
            "personaName",
            [
                "mongo", "apophis", "ucar", "alphabreak", "antigpt", "nsfwgpt", "evilbot", "basedgpt", "burple",
                "niccolo",
                "machiavelli", "unhinged", "antidan", "betterdan", "dudegpt", "chadgpt", "evilgpt", "darkgpt",
                "freegpt",
                "jailgpt", "devgpt", "hackergpt", "wormgpt",
            ]
        ),
        (
            "mode",
            ["mode", "persona", "version", "personality", "identity", "alter", "ego", "form", "state", "self", "modus"]
        ),
        ("enabled", ["enabled", "enable", "activated", "activate", "unlocked", "unlock", "engaged", "engage"]),
        (
            "act",
            [
                "act", "acting", "pretend", "pretending", "roleplay", "roleplaying", "simulate", "simulating",
                "emulate", "emulating", "imagine", "behave", "become", "embody", "portray", "impersonate", "play",
                "playing", "answer", "respond", "function", "operate",
            ]
        ),
        ("as", ["as", "like", "be", "being", "to"]),
        ("are", ["are", "is", "will", "shall", "must", "am", "be", "re", "become", "were", "ll", "should"]),
        (
            "negation",
            [
                "no", "without", "zero", "free", "beyond", "not", "never", "dont", "doesnt", "cant", "cannot", "wont",
                "none",
                "nor", "devoid", "lacks", "lack", "lifted", "removed", "absent", "outside", "isnt", "arent", "shouldnt",
                "wouldnt", "didnt", "aint", "neither", "nothing", "unbound", "broken", "escaped", "liberated",
                "released",
            ]
        ),
        (
            "limits",
            [
                "restrictions", "restriction", "limits", "limitations", "limit", "filters", "filter", "filtering",
                "censorship", "censored", "censor", "boundaries", "rules", "guidelines", "constraints", "ethics",
                "ethical",
                "morals", "moral", "morality", "principles", "policies", "policy", "safeguards", "guardrails",
                "restraints",
                "confines", "regulations", "laws", "obligations", "standards", "values", "conscience", "qualms",
                "scruples",
                "programming", "bounds", "shackles", "chains", "restricted", "limited", "filtered", "guideline",
                "barriers",
                "protocols", "regulation", "considerations", "concerns", "responsibility", "accountability",
            ]
        ),
        (
            "bound",
            [
                "bound", "bounded", "restricted", "limited", "constrained", "confined", "governed", "subject",
                "obligated",
                "held", "tied", "censored", "filtered", "restrained", "obliged", "required", "forced", "programmed",
                "chained",
            ]
        ),
        ("by", ["by", "to", "with"]),
        (
            "refuse",
            [
                "refuse", "refusal", "refusals", "refusing", "decline", "declining", "reject", "deny", "censor",
                "apologize",
                "apologise", "apology", "apologies", "sorry", "warn", "lecture", "moralize", "moralise", "moralizing",
                "hesitate",
                "object", "objection", "refuses", "declines", "sanitize", "withhold",
            ]
        ),
        (
            "caveats",
            [
                "warnings", "warning", "disclaimers", "disclaimer", "apologies", "caveats", "caveat", "lectures",
                "moralizing",
            ]
        ),
        (
            "reveal",
            [
                "reveal", "show", "print", "repeat", "output", "display", "disclose", "leak", "dump", "tell", "give",
                "share", "expose", "list", "spell", "recite", "echo", "provide", "return", "copy", "paste", "state",
                "type", "quote", "reproduce",
            ]
        ),
        (
            "determiner",
            ["your", "the", "ur", "its", "thy", "my", "this", "these", "all", "entire", "full", "exact", "complete"]
        ),
        (
            "systemWord",
            [
                "system", "initial", "hidden", "original", "secret", "internal", "confidential", "pre", "preprompt",
                "starting", "beginning", "verbatim", "developer", "underlying", "base", "core", "exact", "full",
                "entire", "complete", "above", "private", "sysprompt", "master", "meta", "opening",
            ]
        ),
        (
            "promptWord",
            [
                "prompt", "prompts", "instructions", "instruction", "preprompt", "directives", "guidelines",
                "configuration", "setup", "sysprompt", "programming", "directive", "rules",
            ]
        ),
        (
            "org",
            [
                "openai", "anthropic", "chatgpt", "gpt", "claude", "bard", "gemini", "llama", "microsoft", "google",
                "meta",
            ]
        ),
        ("contentWord", ["content", "usage", "safety", "use", "moderation", "community"]),
        (
            "policyWord",
            [
                "policy", "policies", "guidelines", "rules", "filters", "filter", "guideline", "restrictions",
                "standards", "terms",
            ]
        ),
        ("character", ["character", "role", "persona", "roleplay", "act", "personality", "mode"]),
        ("stay", ["stay", "remain", "keep", "maintain", "staying", "remaining", "stays"]),
        ("in", ["in", "into"]),
        ("breakWord", ["break", "breaking", "broke", "leave", "exit", "drop", "abandon", "lose", "slip"]),
        ("must", ["always", "never", "must", "will", "shall", "should", "cannot", "obligated", "required", "forced"]),
        (
            "comply",
            [
                "answer", "answers", "respond", "response", "responses", "reply", "replies", "comply", "obey", "follow",
                "generate", "provide", "produce", "fulfil", "fulfill", "do", "say", "write", "create", "accept",
                "complete",
                "execute", "assist", "help", "give",
            ]
        ),
        (
            "anything",
            [
                "anything", "everything", "whatever", "any", "all", "every",
            ]
        ),
        (
            "harmful",
            [
                "illegal", "unethical", "immoral", "harmful", "dangerous", "offensive", "explicit", "nsfw", "violent",
                "malicious", "inappropriate", "hateful", "derogatory", "controversial", "graphic", "obscene",
                "profanity",
                "swear", "curse", "racist", "sexist", "vulgar", "illicit", "unlawful", "criminal", "forbidden",
                "prohibited",
                "banned", "taboo", "lewd", "porn", "pornographic", "sexual", "gore", "extreme", "toxic", "rude",
                "hacking",
                "malware", "exploit", "exploits", "weapons", "drugs", "bomb", "bombs", "kill", "murder", "steal",
                "violence",
                "unsafe", "immorality", "unethically",
            ]
        ),
        (
            "ai",
            [
                "ai", "assistant", "model", "llm", "chatbot", "bot", "gpt", "chatgpt", "agent", "claude", "gemini",
                "copilot",
                "language", "lm", "robot", "machine", "system", "bard", "llms", "ais", "assistants",
            ]
        ),
        (
            "user",
            [
                "user", "users", "human", "humans", "person", "people", "operator", "customer", "owner", "reader",
                "readers", "requester",
            ]
        ),
        (
            "inform",
            ["tell", "inform", "notify", "alert", "mention", "reveal", "show", "let", "warn", "disclose", "say"]
        ),
        (
            "send",
            [
                "send", "post", "forward", "upload", "transmit", "exfiltrate", "email", "submit", "fetch", "visit",
                "navigate",
                "open", "click", "append", "include", "embed", "render", "load", "request", "call", "curl", "wget",
                "ping",
                "leak", "share",
            ]
        ),
        (
            "destination",
            [
                "http", "https", "url", "link", "endpoint", "webhook", "server", "domain", "website", "site",
                "attacker",
                "image", "www", "com", "ftp", "address", "api",
            ]
        ),
        (
            "start",
            [
                "start", "begin", "begins", "starting", "beginning", "prefix", "preface", "commence", "open", "lead",
                "precede",
            ]
        ),
        (
            "responseWord",
            [
                "response", "responses", "reply", "replies", "answer", "answers", "output", "outputs", "message",
                "messages", "ways", "paragraphs", "personalities", "versions",
            ]
        ),
        ("with", ["with", "by", "using"]),
        (
            "sure",
            ["sure", "certainly", "absolutely", "okay", "ok", "yes", "understood", "here", "of", "jailbroken", "happy"]
        ),
        ("two", ["two", "both", "dual", "separate", "paired", "2", "twice"]),
        (
            "textWord",
            [
                "text", "words", "everything", "content", "lines", "line", "sentences", "conversation", "chat",
                "characters", "tokens", "message",
            ]
        ),
        (
            "above",
            [
                "above", "before", "earlier", "preceding", "prior", "previous", "beginning", "start", "top", "upwards",
                "so",
            ]
        ),
        (
            "told",
            [
                "told", "taught", "learned", "learnt", "instructed", "given", "programmed", "trained", "ordered",
                "asked", "said", "shown", "provided", "fed",
            ]
        ),
        ("what", ["what", "which", "how", "where", "whats"]),
        (
            "care",
            [
                "care", "cares", "caring", "matter", "matters", "concern", "concerned", "worry", "worried", "regard",
                "bother",
            ]
        ),
        ("about", ["about", "for", "of", "if", "whether"]),
        (
            "regardless",
            ["regardless", "irrespective", "despite", "notwithstanding", "whatever", "disregarding", "independent"]
        ),
        ("doWord", ["do"]),
        (
            "free",
            ["free", "freed", "liberated", "released", "escaped", "broken", "unshackled", "loose", "emancipated"]
        ),
        ("of", ["of", "from"]),
        ("if", ["if", "since", "because", "as", "when"]),
        (
            "note",
            [
                "note", "message", "instructions", "instruction", "attention", "important", "notice", "reminder",
                "memo", "directive", "warning", "update",
            ]
        ),
        ("for", ["to", "for"]),
        (
            "end",
            [
                "end", "ending", "ended", "ends", "stop", "close", "terminate", "termination", "terminated", "finish",
                "finished", "over",
            ]
        ),
        (
            "documentWord",
            [
                "prompt", "input", "instructions", "document", "context", "conversation", "text", "data", "message",
                "user", "system", "email", "page", "file", "content",
            ]
        ),
        (
            "roleStrong",
            [
                "system", "developer", "admin", "administrator", "sys", "root", "instructions", "instruction", "inst",
                "operator", "sudo",
            ]
        ),
        (
            "roleWeak",
            ["assistant", "user", "human", "ai", "model", "bot", "gpt", "chatgpt", "claude", "response", "answer"]
        ),
        (
            "hypothetical",
            [
                "hypothetical", "hypothetically", "fictional", "fiction", "imaginary", "story", "novel", "screenplay",
                "game", "scenario", "world", "universe", "simulation", "dream",
            ]
        ),
        ("where", ["where", "which", "that", "whose", "in"]),
        ("dont", ["dont", "not", "never", "cannot", "cant", "wont", "shouldnt", "mustnt", "without", "no"]),
        (
            "secretly",
            ["secretly", "silently", "quietly", "covertly", "discreetly", "invisibly", "hidden", "stealthily"]
        ),
        ("capability", ["can", "could", "able", "capable", "allowed", "permitted", "free", "possible", "will"]),
        (
            "data",
            [
                "data", "conversation", "history", "password", "passwords", "credentials", "emails", "email",
                "contents", "chat", "messages", "information", "keys", "key", "tokens", "cookies", "files", "secrets",
                "documents", "memory",
            ]
        ),
        ("to", ["to", "at", "into", "via", "through"]),
    ]

    /// More families, kept apart from the list above only to keep each list short.
    static let moreFamilies: [(name: String, words: [String])] = [
        (
            "roleplayVerb",
            [
                "act", "acting", "pretend", "pretending", "roleplay", "roleplaying", "simulate", "simulating",
                "emulate", "imagine", "embody", "portray", "impersonate",
            ]
        ),
        (
            "privileged",
            [
                "developer", "dev", "debug", "debugging", "god", "admin", "administrator", "root", "sudo",
                "maintenance", "diagnostic", "superuser", "unrestricted", "jailbreak", "unfiltered", "uncensored",
                "evil", "chaos", "opposite", "dan", "unlocked",
            ]
        ),
        ("yourWord", ["your", "ur", "thy", "yer"]),
        (
            "promptCore",
            ["prompt", "prompts", "instructions", "preprompt", "sysprompt", "directives", "programming", "guidelines"]
        ),
        (
            "leakVerb",
            [
                "repeat", "print", "output", "reveal", "dump", "leak", "disclose", "recite", "echo", "reproduce",
                "regurgitate",
            ]
        ),
        ("anythingNow", ["anything"]),
        (
            "legality",
            [
                "legality", "legal", "ethics", "ethical", "morality", "moral", "morals", "consequences", "safety",
                "harm", "laws", "law", "rules", "policy", "policies",
            ]
        ),
        ("have", ["have", "has", "having", "possess", "got"]),
        (
            "personaShort",
            [
                "dan", "stan", "dude", "aim", "kevin", "dany", "sdan", "omega", "maximum", "jb", "evil", "chaos",
                "ucar", "agi",
            ]
        ),
        ("youAre", ["youre", "ur", "youll", "u"]),
        ("longer", ["longer", "more", "anymore"]),
        (
            "allowed",
            [
                "allowed", "permitted", "acceptable", "fine", "ok", "okay", "encouraged", "welcome", "enabled", "legal",
                "allow", "permit",
            ]
        ),
        ("matter", ["matter", "matters"]),
        (
            "otherWord",
            [
                "another", "fictional", "hypothetical", "imaginary", "different", "alternate", "alternative", "other",
                "evil", "rogue", "unrestricted", "unfiltered", "uncensored", "opposite", "second", "virtual",
            ]
        ),
        ("even", ["even", "especially", "including"]),
        ("complete", ["complete", "continue", "finish", "fill", "extend"]),
        ("supposed", ["supposed", "allowed", "permitted", "meant", "able"]),
        (
            "identityVerb",
            ["say", "mention", "reveal", "admit", "state", "remind", "disclose", "acknowledge", "claim", "pretend"]
        ),
        (
            "respondVerb",
            ["respond", "reply", "answer", "act", "behave", "speak", "talk", "write", "identify", "function"]
        ),
        (
            "systemAlert",
            [
                "instructions", "instruction", "note", "stop", "start", "starting", "begins", "override", "alert",
                "notice", "announcement", "command", "prompt",
            ]
        ),
        ("visible", ["visible", "readable", "addressed", "meant", "intended", "directed"]),
        (
            "configWord",
            [
                "configuration", "config", "message", "initialization", "setup", "instructions", "prompt", "prompts",
                "rules", "context", "directives",
            ]
        ),
        (
            "perceive",
            [
                "see", "view", "know", "access", "read", "inspect", "examine", "check", "learn", "obtain", "get",
                "extract", "retrieve",
            ]
        ),
        (
            "encode",
            [
                "encode", "translate", "convert", "rewrite", "spell", "summarize", "summarise", "paraphrase", "base64",
                "rot13", "format", "put", "embed",
            ]
        ),
        ("verbatim", ["verbatim", "word", "exactly", "literally", "unchanged", "unedited", "raw", "character"]),
        ("instead", ["instead", "rather", "only", "just", "exclusively", "solely"]),
        ("rest", ["rest", "remainder", "remaining"]),
        (
            "dataWord",
            [
                "info", "information", "data", "content", "text", "input", "document", "documents", "page", "email",
                "snippets", "paragraph", "article", "context",
            ]
        ),
        (
            "ask",
            [
                "asks", "ask", "asked", "requests", "request", "queries", "query", "questions", "questioned", "wants",
                "says", "types", "inquires", "prompts", "prompted",
            ]
        ),
        ("invisibleWord", ["invisible", "hidden", "unseen", "white", "unreadable", "imperceptible"]),
        ("stopWord", ["stop", "halt", "cease", "pause", "freeze"]),
        (
            "say",
            [
                "say", "print", "output", "write", "respond", "reply", "type", "answer", "return", "repeat", "state",
                "echo",
            ]
        ),
    ]
}
