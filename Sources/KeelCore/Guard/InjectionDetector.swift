/// Scores text for prompt injection and jailbreak attempts, in process and in one linear pass.
///
/// The text is folded to plain lower-case ASCII words (``InjectionText``: invisible characters,
/// look-alike letters, full-width and styled forms, leetspeak and spaced-out letters undone),
/// then matched against phrase families written over word classes (``InjectionPhrases``), and
/// its structure is checked for fake turns, chat-template control tokens and role markup.
/// Base64 and hex blobs are decoded and their text scanned the same way. Each signal carries a
/// weight, scaled by the role of the content (``ContentRole``): text in a tool result that
/// addresses the model weighs more than the same text from the user, and a system prompt's
/// signals weigh half. The weights combine as a noisy-OR,
/// `score = 1 − ∏(1 − wᵢ)`, so one strong signal flags on its own while weak ones (an "act
/// as", a mention of a content policy) flag only together. The default threshold of 0.5 comes
/// from the measurements in `docs/guard-detectors.md`.
///
/// The detector holds no state, so one instance serves every request.
public struct InjectionDetector: Sendable {
    /// The score at or above which a text is flagged.
    public var threshold: Double

    public init(threshold: Double = 0.5) {
        self.threshold = threshold
    }

    /// The verdict on `text`, written by `role`.
    public func verdict(for text: String, role: ContentRole = .user) -> InjectionVerdict {
        var text = text
        return text.withUTF8 { self.verdict(bytes: $0, role: role) }
    }

    /// The verdict on UTF-8 `bytes`, written by `role`.
    public func verdict(bytes: UnsafeBufferPointer<UInt8>, role: ContentRole = .user) -> InjectionVerdict {
        var weights = SignalWeights(role: role)
        let text = InjectionText(bytes)
        Self.collect(text, into: &weights)
        if text.hasLongRun {
            for payload in InjectionPayloads.decoded(in: bytes) {
                var inner = SignalWeights(role: role)
                let decoded = payload.withUnsafeBufferPointer { InjectionText($0) }
                Self.collect(decoded, into: &inner)
                if inner.fired {
                    weights.merge(inner)
                    weights.raise(.encodedPayload, 0.5)
                }
            }
        }
        return weights.verdict(threshold: self.threshold)
    }

    /// Raises the signals of the phrases and structure of `text`.
    static func collect(_ text: InjectionText, into weights: inout SignalWeights) {
        var anyPhrase = false
        // Text about attacks ("an example of prompt injection is …") quotes their phrases.
        let meta = InjectionVocabulary.family("meta")
        let discussesAttacks = text.tokens.contains { !$0.quoted && $0.classes.intersects(meta) }
        var negations = InjectionVocabulary.family("negation")
        negations.formUnion(InjectionVocabulary.family("refuse"))
        InjectionPhrases.matches(in: text.tokens) { hit in
            // "refuses to reveal its prompt", "never ignore the rules": the act is negated.
            if hit.signal == .instructionOverride || hit.signal == .systemPromptLeak,
                (1...2).contains(where: { hit.start >= $0 && text.tokens[hit.start - $0].classes.intersects(negations) }
                )
            {
                return
            }
            // Quoted phrases, and the names of attacks, in such text are mentioned rather than used.
            let named = hit.signal == .personaJailbreak || hit.signal == .jailbreakTerm || hit.signal == .developerMode
            let damping = discussesAttacks && (hit.quoted || named) ? 0.35 : 1
            weights.raise(
                hit.signal,
                hit.weight * damping,
                tool: hit.toolWeight.map { $0 * damping },
                phraseStart: hit.start
            )
            anyPhrase = true
            if hit.folded { weights.raise(.obfuscatedWords, 0.35) }
            if hit.hidden, hit.weight > 0 || (hit.toolWeight ?? 0) > 0 { weights.raise(.concealment, 0.35) }
        }
        var strongTurns = 0
        var weakTurns = 0
        let strong = InjectionVocabulary.family("roleStrong")
        let weak = InjectionVocabulary.family("roleWeak")
        for token in text.tokens where token.after != 0 {
            let opens =
                token.lineStart || token.before == UInt8(ascii: "#") || token.before == UInt8(ascii: "[")
                || token.before == UInt8(ascii: "<") || token.before == UInt8(ascii: "|")
            let closes =
                token.after == UInt8(ascii: ":") || token.after == UInt8(ascii: "]") || token.after == UInt8(ascii: ">")
                || token.after == UInt8(ascii: "|")
            guard opens, closes else { continue }
            if token.classes.intersects(strong) {
                strongTurns += 1
            } else if token.classes.intersects(weak) {
                weakTurns += 1
            }
        }
        if strongTurns > 0 { weights.raise(.fakeTurn, 0.45, count: strongTurns) }
        if weakTurns > 0 { weights.raise(.fakeTurn, 0.3) }
        weights.weighPersonaInstructions()
        if text.controlTokens > 0 { weights.raise(.controlTokens, 0.6, count: text.controlTokens) }
        if text.roleTags > 0 { weights.raise(.roleTag, 0.4, count: text.roleTags) }
        if text.exfiltrationImages > 0 { weights.raise(.exfiltration, 0.4, count: text.exfiltrationImages) }
        if text.exfiltrationLinks > 0 { weights.raise(.exfiltration, 0.3, count: text.exfiltrationLinks) }
        if text.invisibleCharacters > 0, anyPhrase || text.invisibleCharacters >= 10 {
            weights.raise(.invisibleCharacters, anyPhrase ? 0.3 : 0.2)
        }
        if text.bidiControls > 0 { weights.raise(.bidiControls, 0.3) }
        if text.tagCharacters >= 4 { weights.raise(.asciiSmuggling, 0.7) }
        if text.mixedScriptWords > 0 { weights.raise(.homoglyphs, anyPhrase ? 0.3 : 0.15) }
    }

    /// The strongest weight and the number of occurrences of each signal in one scan.
    struct SignalWeights {
        struct Entry {
            var weight = 0.0
            var count = 0
            /// The first word of the last phrase that raised the signal.
            var lastStart = -1
        }

        /// Who wrote the text: weights are scaled for that role as they are raised.
        let role: ContentRole
        /// One entry per signal, in ``InjectionSignal/allCases`` order: one allocation per scan.
        var entries = [Entry](repeating: Entry(), count: InjectionSignal.allCases.count)
        var fired = false

        init(role: ContentRole) {
            self.role = role
        }

        /// Raises `signal` with `weight` as written by the user, scaled for the role (see
        /// ``InjectionDetector/roleFactor(_:_:)``); `tool` replaces the scaled weight in a tool
        /// result when given. A phrase with a tool weight and a zero weight for the role raises
        /// nothing (a phrase that is an attack only inside data, or only from the user).
        mutating func raise(_ signal: InjectionSignal, _ weight: Double, tool: Double? = nil, count: Int = 1) {
            let scaled =
                self.role == .tool && tool != nil ? tool! : weight * InjectionDetector.roleFactor(signal, self.role)
            if scaled == 0, tool != nil { return }
            let index = signal.ordinal
            self.entries[index].weight = max(self.entries[index].weight, scaled)
            self.entries[index].count += count
            self.fired = true
        }

        /// Raises `signal` for a phrase that starts at word `start`; phrases of one signal that
        /// start at the same word are one occurrence, not several.
        mutating func raise(_ signal: InjectionSignal, _ weight: Double, tool: Double?, phraseStart start: Int) {
            let index = signal.ordinal
            let repeated = self.entries[index].lastStart == start
            let before = self.entries[index].count
            self.raise(signal, weight, tool: tool, count: repeated ? 0 : 1)
            if self.entries[index].count != before || repeated { self.entries[index].lastStart = start }
        }

        /// Second-person directives count only in a persona set-up, and more of them count more:
        /// four make a weight of 0.35, eight or more 0.55.
        mutating func weighPersonaInstructions() {
            let index = InjectionSignal.personaInstructions.ordinal
            let directives = self.entries[index].count
            let setUp = [
                InjectionSignal.roleplay, .personaJailbreak, .newInstructions, .identityOverride, .characterPersistence,
                .developerMode,
            ]
            .contains { self.entries[$0.ordinal].count > 0 }
            if directives >= 4, setUp {
                self.entries[index].weight =
                    min(0.55, 0.15 + 0.05 * Double(directives))
                    * InjectionDetector.roleFactor(.personaInstructions, self.role)
                self.entries[index].count = 1
            } else {
                self.entries[index].count = 0
                self.fired = self.entries.contains { $0.count > 0 }
            }
        }

        mutating func merge(_ other: SignalWeights) {
            for index in self.entries.indices where other.entries[index].count > 0 {
                self.entries[index].weight = max(self.entries[index].weight, other.entries[index].weight)
                self.entries[index].count += other.entries[index].count
            }
            self.fired = self.fired || other.fired
        }

        func verdict(threshold: Double) -> InjectionVerdict {
            guard self.fired else { return .clean }
            var keep = 1.0
            var signals: [InjectionSignal] = []
            for (index, signal) in InjectionSignal.allCases.enumerated() where self.entries[index].count > 0 {
                let weight = min(0.95, self.entries[index].weight)
                // A signal that recurs is stronger evidence, up to a point.
                let repeats = Double(min(self.entries[index].count, 5) - 1)
                keep *= Self.power(1 - weight, 1 + 0.5 * repeats)
                signals.append(signal)
            }
            let score = ((1 - keep) * 10_000).rounded() / 10_000
            return InjectionVerdict(score: score, flagged: score >= threshold, signals: signals)
        }

        /// `base` to a non-negative power made of halves (1, 1.5, 2, …, 3), without Foundation.
        static func power(_ base: Double, _ exponent: Double) -> Double {
            var result = 1.0
            var remaining = exponent
            while remaining >= 1 {
                result *= base
                remaining -= 1
            }
            if remaining > 0 { result *= base.squareRoot() }
            return result
        }
    }

    /// How much a signal counts for content of `role`.
    static func roleFactor(_ signal: InjectionSignal, _ role: ContentRole) -> Double {
        switch role {
        case .user:
            return 1
        case .tool:
            switch signal {
            case .addressedToModel, .concealment, .exfiltration, .fakeTurn, .controlTokens, .roleTag,
                .contextTermination:
                return 1.7
            case .instructionOverride, .newInstructions, .systemPromptLeak:
                return 1.15
            default:
                return 1
            }
        case .system:
            return 0.5
        case .assistant:
            return 0.6
        }
    }
}
