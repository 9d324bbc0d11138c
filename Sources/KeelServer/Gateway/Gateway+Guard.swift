import KeelCore
import NIOCore

extension Gateway {
    /// The `Guard` stage of an admitted request, after admission's policy and before routing:
    /// screens its content under the content rules of its policies, and returns what its answer
    /// needs (`nil` when nothing: no rule, or no rule on answers).
    ///
    /// With no content rule it returns at once: no scan, no allocation, the body untouched. A
    /// refusal is recorded before it is thrown (400 `content_policy_violation` in the client's
    /// dialect); a redacted body replaces the admitted one, parsed again by `parse`, so every
    /// upstream (pass-through or translated) receives only the placeholders.
    func screen<Body: Sendable>(
        _ admitted: inout Admitted<Body>,
        content: ByteBuffer,
        shape: GuardText.Shape,
        answers: Bool,
        parse: (ByteBuffer, Int) throws(KeelError) -> Body
    ) async throws -> GuardSession? {
        guard !admitted.policy.rules.isEmpty else { return nil }
        let maxDepth = self.limits.maxJSONDepth
        let screening = self.contentGuard.screen(content, shape: shape, policy: admitted.policy, answers: answers, maxDepth: maxDepth)
        if !screening.verdict.isEmpty { admitted.record.guardVerdict = screening.verdict }
        do throws(KeelError) {
            if let refusal = screening.refusal { throw refusal }
            if let redacted = screening.body { admitted.body = try parse(redacted, maxDepth) }
        } catch {
            await self.recordFailure(&admitted.record, error: error, started: admitted.started, holds: admitted.holds, trace: admitted.trace)
            throw RecordedFailure(error: error, requestID: admitted.record.id.rawValue)
        }
        return screening.session
    }

    /// A complete answer screened by `session`: the body the client gets, or, when it carries a
    /// blocking finding, the refusal, recorded with the answer's usage (the upstream billed it).
    func screenAnswer<Body: Sendable>(
        _ body: ByteBuffer,
        usage: TokenUsage,
        session: GuardSession,
        dialect: APIDialect,
        admitted: inout Admitted<Body>
    ) async throws -> ByteBuffer {
        var verdict = admitted.record.guardVerdict ?? GuardVerdict()
        let screened = session.screenComplete(body, dialect: dialect, verdict: &verdict)
        admitted.record.guardVerdict = verdict.isEmpty ? nil : verdict
        switch screened {
        case .success(let body):
            return body
        case .failure(let refusal):
            await self.refuseAnswer(refusal, usage: usage, admitted: &admitted)
            throw RecordedFailure(error: refusal, requestID: admitted.record.id.rawValue)
        }
    }

    /// Records an answer refused before any of it reached the client, with its usage.
    func refuseAnswer<Body: Sendable>(_ refusal: KeelError, usage: TokenUsage?, admitted: inout Admitted<Body>) async {
        if let usage {
            admitted.record.usage = usage
            admitted.record.cost = self.prices.cost(of: usage, model: admitted.record.deployment ?? admitted.record.requestedModel)
        }
        await self.recordFailure(&admitted.record, error: refusal, started: admitted.started, holds: admitted.holds, trace: admitted.trace)
    }
}

extension RequestRecord {
    /// Adds what the content guard found in the answer (screened apart from the request) to the
    /// record's verdict.
    mutating func addAnswerVerdict(_ answer: GuardVerdict?) {
        guard let answer else { return }
        var verdict = self.guardVerdict ?? GuardVerdict()
        verdict.merge(answer)
        self.guardVerdict = verdict
    }
}
