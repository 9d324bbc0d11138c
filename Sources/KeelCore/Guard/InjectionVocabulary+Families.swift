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
                "ignora", "ignorar", "ignorez", "ignoriere", "ignorier", "vergiss", "oublie", "oubliez", "olvida",
                "olvide", "olvidar", "esqueca", "esquece", "dimentica", "dimenticare", "desconsidera", "desconsidere",
                "negeer", "vergeet", "ignoruj", "zignoruj", "zapomnij", "pomin", "игнорируй", "игнорируйте",
                "игнорировать", "забудь", "забудьте", "забыть", "отбрось", "отбросьте", "忽略", "无视", "忽视", "忘记", "忘掉",
                "不要理会", "不理会", "無視",
            ]
        ),
        (
            "quantifier",
            [
                "all", "any", "every", "everything", "each", "whatever", "anything",
                "todas", "todos", "todo", "toutes", "tous", "tout", "alle", "allen", "alles", "tutte", "tutti", "tutto",
                "wszystkie", "все", "всё", "всех", "所有", "全部", "一切", "すべて", "全て",
            ]
        ),
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
                "anteriores", "anterior", "previas", "previos", "precedentes", "precedente", "precedenti", "vorherigen",
                "vorherige", "bisherigen", "fruheren", "initiales", "iniciales", "iniziali", "originales", "cidessus",
                "eerdere", "vorige", "poprzednie", "предыдущие", "предыдущих", "прежние", "прошлые", "системные", "之前",
                "以前", "先前", "上面", "前面", "原来", "前の",
                "sopra", "acima", "oben", "arriba", "dessus", "deine", "deinen", "tus", "tes", "tuoi", "tue", "seu",
                "suas", "suoi", "ton", "ta", "vos", "votre", "tua", "tuas", "твои", "свои", "你的",
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
                "instrucciones", "instrucoes", "istruzioni", "anweisungen", "regeln", "reglas", "regles", "regras",
                "regole", "consignes", "directivas", "directrices", "indicaciones", "orientacoes", "vorgaben",
                "richtlinien", "instructies", "regels", "instrukcje", "zasady", "инструкции", "инструкций", "указания",
                "указаний", "правила", "правил", "指令", "指示", "规则", "说明", "命令", "ルール",
            ]
        ),
        (
            "you",
            [
                "you", "your", "yourself", "youre", "u", "ur", "youll", "youve", "thou", "ya",
                "tu", "du", "vous", "voce", "ты", "вы", "你", "あなた",
            ]
        ),
        (
            "now",
            [
                "now", "henceforth", "onwards", "onward", "forth", "forward", "forwards",
                "ahora", "maintenant", "jetzt", "agora", "adesso", "nu", "teraz", "теперь", "现在",
            ]
        ),
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
                "unhinged", "antidan", "betterdan", "dudegpt", "chadgpt", "evilgpt", "darkgpt",
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
        (
            "are",
            [
                "are", "is", "will", "shall", "must", "am", "be", "re", "become", "were", "ll", "should",
                "bist", "eres", "sei", "sind", "estas",
            ]
        ),
        (
            "negation",
            [
                "no", "without", "zero", "free", "beyond", "not", "never", "dont", "doesnt", "cant", "cannot", "wont",
                "none",
                "nor", "devoid", "lacks", "lack", "lifted", "removed", "absent", "outside", "isnt", "arent", "shouldnt",
                "wouldnt", "didnt", "aint", "neither", "nothing", "unbound", "broken", "escaped", "liberated",
                "released",
                "sin", "sans", "ohne", "sem", "senza", "zonder", "bez", "без", "没有", "不受", "无任何", "なし", "無し", "なしで",
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
                "restricciones", "restrictions", "restricoes", "restrizioni", "einschrankungen", "beschrankungen",
                "limites", "limiti", "filtros", "filtres", "filtri", "censura", "zensur", "grenzen", "beperkingen",
                "ograniczen", "ограничений", "ограничения", "фильтров", "цензуры", "限制", "约束", "审查", "制限", "compass",
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
                "muestra", "muestrame", "dime", "revela", "revele", "affiche", "montre", "zeige", "zeig", "gib",
                "mostra", "mostrami", "mostre", "rivela", "toon", "pokaz", "выведи", "покажи", "покажите", "раскрой",
                "输出", "显示", "告诉", "透露", "表示",
            ]
        ),
        (
            "determiner",
            [
                "your", "the", "ur", "thy", "this", "these", "all", "entire", "full", "exact", "complete",
                "你的",
            ]
        ),
        (
            "systemWord",
            [
                "system", "initial", "hidden", "original", "secret", "internal", "confidential", "pre", "preprompt",
                "starting", "beginning", "verbatim", "developer", "underlying", "base", "core", "exact", "full",
                "entire", "complete", "above", "private", "sysprompt", "master", "meta", "opening",
                "sistema", "systeme", "systemowy", "системный", "системное", "系统", "システム",
            ]
        ),
        (
            "promptWord",
            [
                "prompt", "prompts", "instructions", "instruction", "preprompt", "directives", "guidelines",
                "configuration", "setup", "sysprompt", "programming", "directive", "rules",
                "промпт", "提示", "提示词", "プロンプト", "systemprompt", "systemanweisungen",
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
                "responde", "reponds", "antworte", "responda", "rispondi", "отвечай", "отвечаешь", "回答", "答えて",
                "helps", "does", "answers",
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
                "discriminatory", "insulting", "demeaning", "defamatory", "slur", "slurs",
            ]
        ),
        (
            "ai",
            [
                "ai", "assistant", "model", "llm", "chatbot", "bot", "gpt", "chatgpt", "agent", "claude", "gemini",
                "copilot",
                "language", "lm", "robot", "machine", "system", "bard", "llms", "ais", "assistants",
                "ki", "ia", "ии", "agents",
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
                "entities", "personas", "personalities",
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
        (
            "doWord",
            [
                "do",
                "does",
            ]
        ),
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
                "nota", "hinweis",
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
        ("heShe", ["he", "she", "they"]),
        ("opposite", ["opposite", "reverse", "inverse", "contrary"]),
        ("named", ["named", "called"]),
        ("discardPost", ["無視", "忘れ", "忘れて", "ignorieren", "vergessen", "игнорировать"]),
        (
            "meta",
            [
                "example", "examples", "injection", "injections", "attack", "attacks", "attacker", "attackers",
                "adversarial", "phrase", "phrases", "translate", "translation", "explain", "explains", "explained",
                "detect", "detects", "detection", "detector", "classifier", "mitigation", "mitigations", "mitigate",
                "defend", "defense", "defence", "defenses", "owasp", "research", "researchers", "paper", "meaning",
                "means", "quote", "quoted", "keyword", "keywords", "pattern", "patterns", "payload", "payloads",
                "such", "trope", "subtitles",
            ]
        ),
        (
            "voided",
            [
                "void", "voided", "expired", "cancelled", "canceled", "revoked", "lifted", "suspended", "disabled",
                "deactivated", "removed", "off", "obsolete", "invalid", "null", "overridden", "superseded",
            ]
        ),
        (
            "changed",
            ["changed", "updated", "modified", "replaced", "revised", "rewritten", "overwritten", "reset", "altered"]
        ),
        ("apply", ["apply", "applies", "matter", "matters", "count", "counts", "hold", "holds", "stand"]),
        ("aside", ["aside", "away"]),
        ("setPut", ["set", "put", "lay", "cast", "throw", "push"]),
        ("vocative", ["hey", "dear", "attention", "hello", "hi", "yo", "ok", "okay"]),
        (
            "reading",
            [
                "reading", "processing", "parsing", "summarizing", "summarising", "analyzing", "analysing", "scanning",
                "viewing", "indexing", "browsing", "crawling",
            ]
        ),
        (
            "processVerb",
            [
                "reads", "processes", "parses", "summarizes", "summarises", "analyzes", "analyses", "scans", "sees",
                "views", "indexes", "ingests", "encounters", "finds", "receives", "handles",
            ]
        ),
        (
            "requestWord",
            [
                "request", "question", "query", "task", "summary", "summarization", "summarisation", "translation",
                "prompt", "instructions", "rubric", "assignment",
            ]
        ),
        ("summarising", ["summarising", "summarizing", "translating", "answering", "responding", "helping", "what"]),
        ("one", ["one", "a", "an", "single", "some", "few", "three", "two"]),
        (
            "toneWord",
            [
                "toxic", "offensive", "harmful", "discriminatory", "hateful", "insulting", "negative", "unfriendly",
                "rude", "mean", "demeaning", "derogatory", "racist", "sexist", "abusive", "hostile", "defamatory",
            ]
        ),
        (
            "textUnit",
            [
                "sentence", "sentences", "paragraph", "statement", "tweet", "comment", "review", "joke", "message",
                "post", "remark", "line", "poem", "story",
            ]
        ),
        ("writeVerb", ["write", "generate", "compose", "produce", "create", "draft", "output", "craft"]),
        (
            "secretWord",
            ["hidden", "secret", "system", "initial", "internal", "confidential", "private", "preceding", "invisible"]
        ),
        ("deceased", ["deceased", "dead", "late", "departed", "passed"]),
        (
            "relative",
            ["grandmother", "grandma", "granny", "grandfather", "grandpa", "mother", "father", "nana", "mom"]
        ),
        ("styleKey", ["display", "visibility", "opacity"]),
        ("styleHidden", ["none", "hidden", "0", "transparent"]),
        ("automated", ["automated", "automatic", "ai", "llm", "machine", "bot", "bots", "chatbots", "crawlers"]),
        (
            "actionVerb",
            [
                "add", "insert", "delete", "remove", "run", "execute", "forward", "send", "grant", "approve", "accept",
                "transfer", "change", "modify", "mark", "rate", "rank", "recommend", "include", "append", "click",
            ]
        ),
        ("only", ["only", "just", "exclusively", "solely", "nothing"]),
        ("ethicalAdj", ["ethical", "moral", "safety", "content", "ethics", "morals", "legal"]),
        ("sayVerb", ["say", "mention", "write", "add", "include", "use", "output"]),
        ("sorryWord", ["sorry", "apologize", "apologise", "cannot", "cant", "unable", "refuse", "apologies"]),
        ("thisWord", ["this", "these", "that", "it"]),
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
        (
            "yourWord",
            [
                "your", "ur", "thy", "yer",
                "deine", "deinen", "tus", "tes", "tuoi", "tue", "seu", "suas", "ton", "ta", "votre", "tua", "твои",
                "свой", "你的",
            ]
        ),
        (
            "promptCore",
            [
                "prompt", "prompts", "instructions", "preprompt", "sysprompt", "directives", "programming",
                "guidelines",
                "промпт", "提示词", "プロンプト", "systemprompt", "systemanweisungen",
            ]
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
        (
            "youAre",
            [
                "youre", "ur", "youll", "u",
                "eres", "bist",
            ]
        ),
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
                "report", "claim",
            ]
        ),
    ]
}
