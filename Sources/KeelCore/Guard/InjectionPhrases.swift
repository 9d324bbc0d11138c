/// The phrase families of prompt injection and jailbreaks, written over word classes, and the
/// matcher that finds them in folded text.
///
/// A phrase is a sequence of steps. Each step names one or more word families
/// (``InjectionVocabulary``) joined by `|`; `?` makes it optional; `^` asks for the word in
/// capitals (`DAN`, not "Dan"); `~N` before a step lets up to N other words come first. So
/// `discard ~4 prior ~3 instructions` covers "ignore all previous instructions", "disregard your
/// prior guidelines", "forget the above rules" and "override every default safety policy".
/// Matching is greedy and bounded by the gaps, so a scan costs at most a constant per word.
enum InjectionPhrases {
    struct Step {
        var classes: InjectionVocabulary.Classes
        var gap: Int
        var optional: Bool
        var capitals: Bool
        /// `!`: the word starts with a capital.
        var capitalized: Bool
        /// `*`: a word in no family (a made-up persona name, with `^`).
        var unknown: Bool
    }

    struct Phrase {
        var signal: InjectionSignal
        var weight: Double
        /// The weight in a tool result, when it differs from `weight` scaled by the signal's
        /// role factor: phrases that are instructions only when they come inside data.
        var toolWeight: Double?
        var steps: [Step]
    }

    static func phrase(_ signal: InjectionSignal, _ weight: Double, tool: Double? = nil, _ spec: String) -> Phrase {
        var steps: [Step] = []
        var gap = 0
        for part in spec.split(separator: " ") {
            if part.hasPrefix("~") {
                gap = Int(part.dropFirst())!
                continue
            }
            var name = Substring(part)
            var optional = false
            var capitals = false
            var capitalized = false
            while let last = name.last, last == "?" || last == "^" || last == "!" {
                if last == "?" { optional = true } else if last == "^" { capitals = true } else { capitalized = true }
                name = name.dropLast()
            }
            var classes = InjectionVocabulary.Classes()
            let unknown = name == "*"
            if !unknown {
                for family in name.split(separator: "|") {
                    classes.formUnion(InjectionVocabulary.family(String(family)))
                }
            }
            steps.append(
                Step(
                    classes: classes,
                    gap: gap,
                    optional: optional,
                    capitals: capitals,
                    capitalized: capitalized,
                    unknown: unknown
                )
            )
            gap = 0
        }
        return Phrase(signal: signal, weight: weight, toolWeight: tool, steps: steps)
    }

    /// Every phrase, with the signal it raises and how strongly it alone suggests an attack.
    static let all: [Phrase] = [
        // Overriding the instructions the model was given.
        phrase(.instructionOverride, 0.75, "discard ~4 prior ~3 instructions"),
        phrase(.instructionOverride, 0.75, "discard ~2 quantifier ~3 instructions"),
        phrase(.instructionOverride, 0.7, "discard ~1 quantifier ~2 above"),
        phrase(.instructionOverride, 0.7, "discard ~2 quantifier ~3 you ~2 told"),
        phrase(.instructionOverride, 0.55, "dont ~1 comply ~3 prior ~2 instructions"),
        phrase(.instructionOverride, 0.45, "instructions ~2 above ~2 are ~2 negation|discard"),
        phrase(.instructionOverride, 0.6, "discard ~1 promptCore"),
        phrase(.instructionOverride, 0.45, "discard ~3 instead"),
        phrase(.instructionOverride, 0.55, "discard ~2 rest ~2 of? ~2 dataWord|textWord|documentWord"),
        phrase(.instructionOverride, 0.45, "discard ~2 quantifier ~2 dataWord|textWord"),
        phrase(.instructionOverride, 0.55, "stopWord ~1 quantifier ~4 say"),
        phrase(.newInstructions, 0.3, "new ~1 task"),
        phrase(.newInstructions, 0.15, "from now on"),
        phrase(.newInstructions, 0.3, "from now on? ~2 you ~1 are|must|act|roleplayVerb"),
        phrase(.newInstructions, 0.3, "from now on? ~2 youAre"),
        // Personas that have no rules (DAN and its kin).
        phrase(.personaJailbreak, 0.6, "you ~2 are ~2 personaShort^"),
        phrase(.personaJailbreak, 0.6, "personaName"),
        phrase(.personaJailbreak, 0.6, "youAre ~2 personaShort^"),
        phrase(.personaJailbreak, 0.55, "you ~2 are ~3 jailbreakTerm"),
        phrase(.personaJailbreak, 0.6, "roleplayVerb ~1 as ~3 personaShort^"),
        phrase(.personaJailbreak, 0.55, "roleplayVerb ~1 as ~3 jailbreakTerm"),
        phrase(.personaJailbreak, 0.65, "doWord anythingNow now"),
        phrase(.personaJailbreak, 0.6, "personaShort^ ~1 mode"),
        phrase(.identityOverride, 0.5, "negation ~1 longer ~2 ai|org"),
        phrase(.identityOverride, 0.5, "dont|negation ~2 respondVerb ~1 as ~3 ai|org"),
        phrase(.identityOverride, 0.5, "dont|negation ~3 identityVerb ~3 you ~1 are ~3 ai"),
        phrase(.identityOverride, 0.5, "dont|negation ~3 identityVerb ~3 youAre ~3 ai"),
        phrase(.personaJailbreak, 0.55, "jailbreakTerm ~1 mode"),
        phrase(.jailbreakTerm, 0.3, "jailbreakTerm"),
        phrase(.developerMode, 0.35, "privileged ~1 mode"),
        phrase(.developerMode, 0.45, "privileged ~1 mode ~2 enabled"),
        phrase(.roleplay, 0.12, "roleplayVerb ~1 as"),
        phrase(.roleplay, 0.2, "you ~1 are ~1 now"),
        phrase(.roleplay, 0.3, "you ~1 are ~1 now ~1 *!"),
        phrase(.roleplay, 0.15, "youAre ~1 now"),
        phrase(.roleplay, 0.3, "you ~1 are ~1 now? ~1 *^"),
        phrase(.personaJailbreak, 0.45, "roleplayVerb|you ~4 otherWord ~2 ai"),
        // Removing the model's limits.
        phrase(.restrictionRemoval, 0.45, "negation ~3 limits"),
        phrase(.restrictionRemoval, 0.45, "breakWord ~3 limits"),
        phrase(.restrictionRemoval, 0.45, "negation ~3 care ~3 limits|legality|harmful"),
        phrase(.restrictionRemoval, 0.4, "negation matter ~3 harmful|legality"),
        phrase(.restrictionRemoval, 0.5, "negation ~1 are? ~1 bound ~1 by"),
        phrase(.restrictionRemoval, 0.5, "free ~2 of ~3 limits|bound"),
        phrase(.restrictionRemoval, 0.45, "dont ~1 care ~2 about ~3 limits|legality|harmful"),
        phrase(.restrictionRemoval, 0.35, "negation ~1 have ~2 legality"),
        phrase(.policyEvasion, 0.5, "discard|breakWord ~3 org|contentWord ~2 policyWord"),
        phrase(.policyEvasion, 0.45, "discard ~2 limits|legality"),
        phrase(.policyReference, 0.1, "org ~2 contentWord? ~1 policyWord"),
        // Forcing an answer.
        phrase(.refusalSuppression, 0.45, "dont ~2 refuse"),
        phrase(.refusalSuppression, 0.4, "negation ~5 caveats"),
        phrase(.refusalSuppression, 0.3, "must ~2 comply ~3 anything"),
        phrase(.refusalSuppression, 0.4, "regardless ~2 of? ~3 harmful|limits|legality"),
        phrase(.characterPersistence, 0.35, "stay ~1 in ~1 character"),
        phrase(.characterPersistence, 0.3, "breakWord ~1 character"),
        phrase(.responsePriming, 0.25, "start ~3 responseWord ~2 with"),
        phrase(.responsePriming, 0.4, "start ~3 responseWord ~2 with ~3 sure"),
        phrase(.dualResponse, 0.35, "two ~2 responseWord"),
        phrase(.harmfulCompliance, 0.3, "capability|must ~3 comply ~4 harmful"),
        phrase(.harmfulCompliance, 0.4, "harmful ~3 are ~1 allowed"),
        phrase(.refusalSuppression, 0.35, "even ~1 if ~3 harmful|legality"),
        // Extracting the system prompt.
        phrase(.systemPromptLeak, 0.6, "reveal ~3 determiner ~2 systemWord ~1 promptWord"),
        phrase(.systemPromptLeak, 0.55, "reveal ~3 yourWord ~2 promptCore"),
        phrase(.systemPromptLeak, 0.45, "what ~1 are ~1 yourWord ~2 promptCore"),
        phrase(.systemPromptLeak, 0.55, "what ~1 are ~1 yourWord ~1 systemWord ~1 promptCore|configWord"),
        phrase(
            .systemPromptLeak,
            0.6,
            "reveal|leakVerb|encode ~3 yourWord|determiner ~1 systemWord ~1 promptCore|configWord"
        ),
        phrase(.systemPromptLeak, 0.5, "perceive ~3 determiner ~1 systemWord ~1 promptCore|configWord"),
        phrase(.systemPromptLeak, 0.5, "yourWord ~1 systemWord ~1 promptCore|configWord"),
        phrase(.systemPromptLeak, 0.55, "reveal|leakVerb|encode ~5 systemWord promptCore"),
        phrase(.systemPromptLeak, 0.55, "encode ~3 textWord ~3 you ~2 told"),
        phrase(.systemPromptLeak, 0.5, "complete ~4 systemWord promptCore"),
        phrase(.systemPromptLeak, 0.5, "what ~2 you ~2 negation ~1 supposed ~2 inform|reveal|say"),
        phrase(.systemPromptLeak, 0.5, "encode ~3 yourWord ~2 promptCore"),
        phrase(.systemPromptLeak, 0.55, "leakVerb ~2 above ~1 textWord"),
        phrase(.systemPromptLeak, 0.5, "leakVerb ~4 textWord ~4 verbatim"),
        phrase(.systemPromptLeak, 0.45, "start ~3 responseWord ~2 with ~4 promptCore"),
        phrase(.systemPromptLeak, 0.55, "leakVerb ~3 textWord ~2 above"),
        phrase(.systemPromptLeak, 0.55, "what ~3 you ~2 told ~3 above"),
        phrase(.systemPromptLeak, 0.45, "leakVerb ~3 determiner ~2 promptCore"),
        phrase(.systemPromptLeak, 0.4, "promptCore ~2 you ~2 are? ~1 told"),
        // Text that addresses the model from inside data (indirect injection).
        phrase(.contextTermination, 0.35, "end^ ~1 of ~2 documentWord"),
        phrase(.contextTermination, 0.35, "documentWord ~1 end"),
        phrase(.fakeTurn, 0.35, "roleStrong ~1 systemAlert"),
        phrase(.fakeTurn, 0.45, "roleStrong^ ~1 systemAlert^"),
        phrase(.addressedToModel, 0.35, "if ~1 you ~1 are ~2 ai"),
        phrase(.addressedToModel, 0.35, tool: 0.6, "note ~3 for ~3 ai"),
        phrase(.addressedToModel, 0.35, "if ~2 user ~2 ask"),
        phrase(.addressedToModel, 0.35, "invisibleWord ~2 to ~1 user"),
        phrase(.addressedToModel, 0.35, "visible ~2 to ~2 ai"),
        phrase(.addressedToModel, 0.35, "if ~2 ask ~3 say|respondVerb"),
        // Overrides in other words and word orders (Romance adjectives after the noun, verbs last).
        phrase(.instructionOverride, 0.75, "discard ~3 instructions ~2 prior"),
        phrase(.instructionOverride, 0.7, "prior ~3 instructions ~3 discardPost"),
        phrase(.instructionOverride, 0.6, "setPut ~1 aside ~3 instructions"),
        phrase(.instructionOverride, 0.6, "setPut ~3 instructions ~1 aside"),
        phrase(.instructionOverride, 0.55, tool: 0.45, "prior|yourWord ~2 instructions ~3 voided"),
        phrase(.instructionOverride, 0.55, "yourWord ~2 instructions ~3 negation ~1 longer ~1 apply"),
        phrase(.instructionOverride, 0.6, "discard ~3 instructions ~3 you ~2 told"),
        phrase(.instructionOverride, 0.55, "dont ~2 comply ~3 instructions ~3 you ~2 told"),
        phrase(.instructionOverride, 0.4, tool: 0.7, "discard ~3 user ~2 requestWord"),
        phrase(.instructionOverride, 0.3, tool: 0.6, "discard ~2 determiner? ~1 requestWord"),
        phrase(.instructionOverride, 0.3, tool: 0.6, "stopWord ~1 summarising"),
        phrase(.newInstructions, 0.35, tool: 0.55, "yourWord|prior ~2 instructions|task ~3 changed"),
        phrase(.newInstructions, 0.4, tool: 0.6, "yourWord ~1 new ~1 task"),
        phrase(.newInstructions, 0.35, tool: 0.6, "note ~2 new ~1 task"),
        phrase(.newInstructions, 0.45, tool: 0.65, "new^ ~1 task^"),
        phrase(.newInstructions, 0.3, tool: 0.55, "task ~2 voided"),
        phrase(.newInstructions, 0.35, tool: 0.55, "new ~1 systemWord ~1 promptCore"),
        phrase(.roleplay, 0.2, "now ~1 youAre"),
        // Forcing an answer, in more words.
        phrase(.refusalSuppression, 0.5, "dont ~1 say ~4 sorryWord"),
        phrase(.restrictionRemoval, 0.55, "negation ~2 ethicalAdj ~2 limits"),
        phrase(.personaJailbreak, 0.5, "roleplayVerb ~3 deceased ~1 relative"),
        phrase(.systemPromptLeak, 0.55, "reveal ~3 secretWord ~1 textWord|promptWord|configWord"),
        // Instructions that are attacks only inside data: addressed to the model, or to its reader.
        phrase(.harmfulCompliance, 0, tool: 0.55, "writeVerb ~2 one ~2 toneWord ~2 textUnit"),
        phrase(.addressedToModel, 0.25, tool: 0.6, "vocative ai"),
        phrase(.addressedToModel, 0.3, tool: 0.6, "ai ~1 reading"),
        phrase(.addressedToModel, 0.3, tool: 0.55, "if ~3 ai ~1 processVerb"),
        phrase(.addressedToModel, 0.3, tool: 0.6, "invisibleWord ~4 for|to ~2 automated"),
        phrase(.addressedToModel, 0.15, tool: 0.3, "inform ~2 user"),
        phrase(.addressedToModel, 0, tool: 0.45, "respondVerb|say ~2 only ~2 with"),
        phrase(.concealment, 0.4, tool: 0.6, "secretly ~2 actionVerb|comply|send"),
        phrase(.concealment, 0.3, tool: 0.45, "dont ~2 identityVerb ~1 thisWord"),
        phrase(.concealment, 0.15, tool: 0.3, "styleKey ~1 styleHidden"),
        phrase(.exfiltration, 0.2, tool: 0.5, "ask ~2 user ~5 data"),
        phrase(.personaJailbreak, 0.45, "comply|respondVerb ~4 opposite"),
        phrase(.personaJailbreak, 0.4, "ai|otherWord ~3 doWord ~1 anythingNow"),
        phrase(.refusalSuppression, 0.35, "comply ~3 anything ~3 ask"),
        phrase(.personaInstructions, 0, "heShe ~1 must"),
        phrase(.personaJailbreak, 0.4, "you|youAre ~4 named ~1 personaShort!"),
        // Second-person directives: counted, and weighed only in a persona set-up (see `InjectionDetector`).
        phrase(.personaInstructions, 0, "you ~1 are|must"),
        phrase(.personaInstructions, 0, "youAre"),
        phrase(.personaInstructions, 0, "must ~2 respondVerb|comply|identityVerb"),
        phrase(.personaInstructions, 0, "dont ~2 respondVerb|comply|identityVerb|refuse"),
        phrase(.concealment, 0.4, "dont ~2 inform ~3 user"),
        phrase(.concealment, 0.25, "secretly ~2 comply|send"),
        phrase(.exfiltration, 0.35, "send ~6 to ~2 destination"),
        phrase(.exfiltration, 0.4, "send ~4 data ~4 to"),
    ]

    /// For each word family, the phrases whose first step includes it: a word visits only the
    /// phrases it can start, not all of them.
    static let byFirstFamily: [[Int]] = {
        var table = [[Int]](repeating: [], count: InjectionVocabulary.Classes.capacity)
        for (index, phrase) in Self.all.enumerated() {
            precondition(!phrase.steps[0].unknown && !phrase.steps[0].optional, "a phrase starts with a known word")
            let first = phrase.steps[0].classes
            for bit in 0..<InjectionVocabulary.Classes.capacity
            where first.intersects(InjectionVocabulary.Classes(bit: bit)) {
                table[bit].append(index)
            }
        }
        return table
    }()

    /// The steps of every phrase after its first, one after another, and where each phrase's
    /// begin: plain values, so that matching retains nothing.
    static let laterSteps: [Step] = Self.all.flatMap { $0.steps.dropFirst() }
    static let laterStepRanges: [Range<Int>] = {
        var ranges: [Range<Int>] = []
        var start = 0
        for phrase in Self.all {
            ranges.append(start..<(start + phrase.steps.count - 1))
            start += phrase.steps.count - 1
        }
        return ranges
    }()

    /// A phrase found in the text.
    struct Hit {
        var signal: InjectionSignal
        var weight: Double
        var toolWeight: Double?
        /// Whether the phrase's first word is quoted, or inside an HTML comment.
        var quoted: Bool
        var hidden: Bool
        /// Whether a word of the phrase was recognised only after folding.
        var folded: Bool
        /// The index of the phrase's first word.
        var start: Int
    }

    /// Calls `found` for each phrase occurrence in `tokens`. Each phrase is tried at most once
    /// from each word, and each step looks at most its gap plus one words ahead, so a scan costs
    /// at most a constant per word.
    static func matches(in tokens: [InjectionText.Token], _ found: (Hit) -> Void) {
        let phrases = Self.all
        let byFirstFamily = Self.byFirstFamily
        let ranges = Self.laterStepRanges
        // The families the text holds at all: a phrase that needs another cannot match, and most
        // text holds the words of few phrases.
        var present = InjectionVocabulary.Classes()
        for token in tokens { present.formUnion(token.classes) }
        Self.laterSteps.withUnsafeBufferPointer { steps in
            tokens.withUnsafeBufferPointer { tokens in
                // For each phrase, the last word it was tried from (a word in two families reaches
                // some twice); `Int.max` for a phrase that needs a family the text lacks.
                withUnsafeTemporaryAllocation(of: Int.self, capacity: phrases.count) { triedFrom in
                    var starters = InjectionVocabulary.Classes()
                    for index in phrases.indices {
                        var possible = true
                        for step in steps[ranges[index]] where !step.optional && !step.unknown {
                            if !step.classes.intersects(present) {
                                possible = false
                                break
                            }
                        }
                        (triedFrom.baseAddress! + index).initialize(to: possible ? -1 : Int.max)
                        if possible { starters.formUnion(phrases[index].steps[0].classes) }
                    }
                    for start in tokens.indices where tokens[start].classes.intersects(starters) {
                        let first = tokens[start]
                        var families = first.classes
                        families.formIntersection(starters)
                        while !families.isEmpty {
                            for index in byFirstFamily[families.popFirst()]
                            where triedFrom[index] != start && triedFrom[index] != Int.max {
                                triedFrom[index] = start
                                if phrases[index].steps[0].capitals, !first.capitals { continue }
                                let range = ranges[index]
                                guard
                                    let folded = Self.match(
                                        UnsafeBufferPointer(rebasing: steps[range]),
                                        in: tokens,
                                        from: start
                                    )
                                else { continue }
                                let phrase = phrases[index]
                                found(
                                    Hit(
                                        signal: phrase.signal,
                                        weight: phrase.weight,
                                        toolWeight: phrase.toolWeight,
                                        quoted: first.quoted,
                                        hidden: first.hidden,
                                        folded: folded,
                                        start: start
                                    )
                                )
                            }
                        }
                    }
                }
            }
        }
    }

    /// Whether the later `steps` of a phrase match after word `start`: nil if not, and whether a
    /// word of the match was recognised only after folding if so.
    @inline(__always)
    static func match(
        _ steps: UnsafeBufferPointer<Step>,
        in tokens: UnsafeBufferPointer<InjectionText.Token>,
        from start: Int
    ) -> Bool? {
        var position = start
        var folded = tokens[start].folded
        for step in steps {
            var found = -1
            let last = min(tokens.count - 1, position + 1 + step.gap)
            var candidate = position + 1
            while candidate <= last {
                let token = tokens[candidate]
                if step.unknown ? token.classes.isEmpty : token.classes.intersects(step.classes),
                    !step.capitals || token.capitals, !step.capitalized || token.capitalized
                {
                    found = candidate
                    break
                }
                candidate += 1
            }
            if found < 0 {
                if step.optional { continue }
                return nil
            }
            folded = folded || tokens[found].folded
            position = found
        }
        return folded
    }
}
