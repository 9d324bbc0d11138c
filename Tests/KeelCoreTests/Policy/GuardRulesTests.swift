import KeelCore
import Testing

@Suite("Content rules of policies")
struct GuardRulesTests {
    @Test func theStrictestActionWinsPerTypeAndPerRoleAndTypeListsUnite() {
        let rules = EffectivePolicy([
            Policy(
                id: "a", pii: ContentRule(action: .redact, types: GuardTypeSet(types: [.email, .phone]), restore: true),
                injection: InjectionRule(action: .flag, roles: [.user, .tool])),
            Policy(
                id: "b", pii: ContentRule(action: .block, types: GuardTypeSet(types: [.usSSN, .phone])),
                secrets: ContentRule(action: .log, types: .secrets), injection: InjectionRule(action: .block, roles: [.tool])),
            Policy(id: "c", secrets: ContentRule(action: .redact, types: GuardTypeSet(types: [.jwt]))),
        ]).rules
        #expect(rules.action(for: .email) == .redact)
        #expect(rules.action(for: .phone) == .block, "block > redact")
        #expect(rules.action(for: .usSSN) == .block)
        #expect(rules.action(for: .jwt) == .redact, "redact > log")
        #expect(rules.action(for: .githubToken) == .log)
        #expect(rules.action(for: .iban) == nil)
        #expect(rules.restore == GuardTypeSet(types: [.email]), "phone is blocked; jwt's policy did not ask")
        #expect(rules.injectionAction(for: .tool) == .block && rules.injectionAction(for: .user) == .flag)
        #expect(rules.injectionAction(for: .system) == nil)
        #expect(rules.answerScanned == GuardTypeSet(types: [.email, .phone, .usSSN, .jwt]))
        #expect(!rules.isEmpty)
    }

    @Test func restoreHoldsOnlyWhenEveryPolicyThatRedactsTheTypeAsksForIt() {
        let rules = EffectivePolicy([
            Policy(id: "a", pii: ContentRule(action: .redact, types: .personalData, restore: true)),
            Policy(id: "b", pii: ContentRule(action: .redact, types: GuardTypeSet(types: [.email]))),
        ]).rules
        #expect(!rules.restore.contains(.email))
        #expect(rules.restore.contains(.phone))
    }

    @Test func policiesWithoutContentRulesMakeEmptyRules() {
        #expect(EffectivePolicy([Policy(id: "routing", baaRequired: true)]).rules.isEmpty)
        #expect(EffectivePolicy([]).rules.isEmpty)
    }

    @Test func aRefusalNamesThePolicyAndTheTypesNeverAValue() {
        let policy = EffectivePolicy([
            Policy(id: "open", pii: ContentRule(action: .log, types: .personalData)),
            Policy(id: "phi", pii: ContentRule(action: .block, types: GuardTypeSet(types: [.usSSN]))),
        ])
        let error = policy.contentRefusal(types: [.usSSN, .usSSN])
        #expect(error.message == "Policy 'phi' blocks this request: it contains us_ssn.")
        #expect(error.metricLabel == "content_policy_violation" && error.httpStatus == 400 && error.param == "messages")
        #expect(error.openAIType == "invalid_request_error" && error.anthropicType == "invalid_request_error")
    }

    @Test func theVerdictKeepsCountsTheHighestScoreAndTheStrongestAction() {
        var verdict = GuardVerdict()
        verdict.count(.email, action: .redact)
        verdict.count(.email, action: .redact)
        verdict.count(.phone, action: .log)
        verdict.score(InjectionVerdict(score: 0.3, flagged: false, signals: [.roleplay]), role: .user, action: .block)
        verdict.score(InjectionVerdict(score: 0.8, flagged: true, signals: [.instructionOverride]), role: .tool, action: .flag)
        #expect(verdict.findings == [.init(type: .email, count: 2, action: .redact), .init(type: .phone, count: 1, action: .log)])
        #expect(verdict.injection == .init(score: 0.8, flagged: true, action: .flag, role: .tool, signals: [.instructionOverride]))
        #expect(verdict.action == .redacted, "redacted > flagged > logged")
        var answer = GuardVerdict()
        answer.count(.jwt, action: .block, answer: true)
        verdict.merge(answer)
        #expect(verdict.answerFindings == [.init(type: .jwt, count: 1, action: .block)])
        #expect(verdict.action == .blocked)
    }
}
