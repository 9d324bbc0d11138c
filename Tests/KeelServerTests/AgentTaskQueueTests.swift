import Foundation
import KeelCore
import KeelServer
import KeelTesting
import NIOHTTP1
import Testing

/// Agent tasks through their life: queued, claimed under leases, reassigned, started by
/// requests, their steps as a timeline, budgets that hold, cancellation.
@Suite("Agent tasks: queue, leases, lifecycle, budgets")
struct AgentTaskQueueTests {
    static let fast: @Sendable (inout KeelConfiguration) -> Void = { $0.agents.syncIntervalMs = 100 }

    /// Polls `GET /admin/v1/tasks/{id}` until `condition` holds (the tracker works off the
    /// request path, every sync interval).
    static func waitForTask(
        _ keel: TestGateway,
        _ id: String,
        timeout: Duration = .seconds(30),
        _ condition: ([String: Any]) -> Bool
    ) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + timeout
        var last: [String: Any] = [:]
        while ContinuousClock.now < deadline {
            last = try await keel.send(.GET, "/admin/v1/tasks/\(id)").json ?? [:]
            if condition(last) { return last }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("task \(id) never reached the expected state: \(last)")
        return last
    }

    /// Waits until every task of `ids` is stored as ended.
    static func waitUntilStored(_ keel: TestGateway, _ ids: [String]) async throws {
        for id in ids {
            _ = try await Self.waitForTask(keel, id) { ["succeeded", "failed"].contains($0["state"] as? String ?? "") }
        }
    }

    @Test func tasksAreClaimedByPriorityReassignedWhenALeaseExpiresAndTimedOutAfterTheirAttempts() async throws {
        try await TestKeel.run(configure: Self.fast) { keel in
            _ = try await AgentRegistryTests.register(keel, #"{"id":"worker-bot","name":"Worker"}"#)
            let key = try await AgentRegistryTests.agentKey(keel, agent: "worker-bot")
            let low = try await keel.post(
                "/v1/tasks",
                json: #"{"id":"t-low","agent":"worker-bot","input":{"ticket":1},"priority":1}"#,
                key: key
            )
            #expect(low.status == 201, "\(low.body)")
            #expect(low.json?["state"] as? String == "queued")
            #expect((low.json?["input"] as? [String: Any])?["ticket"] as? Int == 1)
            let high = try await keel.post(
                "/v1/tasks",
                json: #"{"id":"t-high","agent":"worker-bot","input":"urgent","priority":5,"max_attempts":2}"#,
                key: key
            )
            #expect(high.status == 201, "\(high.body)")
            #expect(try await keel.post("/v1/tasks", json: #"{"input":"nobody"}"#, key: key).status == 400)
            #expect(
                try await keel.post("/v1/tasks", json: #"{"id":"t-low","agent":"worker-bot"}"#, key: key).status == 409
            )

            // A lease long enough that the claims below all come within it under the full suite's
            // load (3 s once ran out before the third claim).
            let first = try await keel.post("/v1/tasks/claim", json: #"{"worker":"w1","lease_seconds":10}"#, key: key)
            #expect(first.status == 200, "\(first.body)")
            #expect(first.json?["id"] as? String == "t-high")
            #expect(first.json?["state"] as? String == "running" && first.json?["worker"] as? String == "w1")
            #expect(first.json?["attempts"] as? Int == 1)
            let second = try await keel.post("/v1/tasks/claim", json: #"{"worker":"w2","lease_seconds":60}"#, key: key)
            #expect(second.json?["id"] as? String == "t-low")
            #expect(try await keel.post("/v1/tasks/claim", json: #"{"worker":"w3"}"#, key: key).status == 204)

            // w1 goes silent: its lease expires and the task is queued again for another worker.
            let requeued = try await Self.waitForTask(keel, "t-high") { $0["state"] as? String == "queued" }
            #expect((requeued["reason"] as? String)?.contains("lease of worker 'w1' expired") == true, "\(requeued)")
            let again = try await keel.post("/v1/tasks/claim", json: #"{"worker":"w4","lease_seconds":1}"#, key: key)
            #expect(again.json?["id"] as? String == "t-high" && again.json?["attempts"] as? Int == 2, "\(again.body)")
            // Its last attempt expires too: timed out.
            let timedOut = try await Self.waitForTask(keel, "t-high") { $0["state"] as? String == "timed_out" }
            #expect((timedOut["reason"] as? String)?.contains("after 2 attempts") == true, "\(timedOut)")
            // A task Keel ended makes no more calls.
            let late = try await keel.post(
                "/v1/chat/completions",
                json: chatBody("still here"),
                key: key,
                headers: [("x-keel-task", "t-high")]
            )
            #expect(late.status == 409, "\(late.body)")

            // w2's task is renewed by its heartbeat and its requests.
            let beat = try await keel.post("/v1/tasks/t-low/heartbeat", json: "", key: key)
            #expect(beat.status == 200, "\(beat.body)")
            #expect(try await keel.post("/v1/tasks/t-high/heartbeat", json: "", key: key).status == 409)

            let listed = try await keel.send(.GET, "/admin/v1/tasks?agent=worker-bot&state=running")
            #expect(
                (listed.json?["data"] as? [[String: Any]])?.map { $0["id"] as? String } == ["t-low"],
                "\(listed.body)"
            )
        }
    }

    @Test func aClaimedTasksRequestsRenewItsLease() async throws {
        try await TestKeel.run(configure: Self.fast) { keel in
            _ = try await AgentRegistryTests.register(keel, #"{"id":"busy-bot","name":"Busy"}"#)
            let key = try await AgentRegistryTests.agentKey(keel, agent: "busy-bot")
            #expect(
                try await keel.post("/v1/tasks", json: #"{"id":"t-busy","agent":"busy-bot"}"#, key: key).status == 201
            )
            #expect(
                try await keel.post("/v1/tasks/claim", json: #"{"worker":"w1","lease_seconds":10}"#, key: key).status
                    == 200
            )
            // 24 calls half a second apart outlast the 10 s lease; under the full suite's load one
            // call has taken over 4 s, so the lease leaves room for that.
            for index in 0..<24 {
                let response = try await keel.post(
                    "/v1/chat/completions",
                    json: chatBody("step \(index)"),
                    key: key,
                    headers: [("x-keel-task", "t-busy")]
                )
                #expect(response.status == 200)
                try await Task.sleep(for: .milliseconds(500))
            }
            let task = try #require(try await keel.send(.GET, "/admin/v1/tasks/t-busy").json)
            #expect(task["state"] as? String == "running", "12 s of calls kept the 10 s lease: \(task)")
            #expect(task["worker"] as? String == "w1")
            #expect(task["attempts"] as? Int == 1)
            // Once the calls stop, the lease runs out (its only attempt: timed out).
            _ = try await Self.waitForTask(keel, "t-busy", timeout: .seconds(40)) {
                $0["state"] as? String == "timed_out"
            }
        }
    }

    @Test(arguments: AgentRegistryTests.dialects)
    func aTaskStartedByItsRequestsShowsEachAsAStepAndEndsOnce(dialect: String) async throws {
        try await TestKeel.run(configure: Self.fast) { keel in
            let headers = [("x-keel-agent", "planner"), ("x-keel-task", "plan-\(dialect)")]
            for stream in [false, true, false] {
                let response = try await AgentRegistryTests.call(
                    keel,
                    dialect: dialect,
                    stream: stream,
                    key: TestKeel.adminKey,
                    headers: headers
                )
                #expect(response.status == 200, "\(response.body)")
            }
            let running = try await Self.waitForTask(keel, "plan-\(dialect)") {
                ($0["steps"] as? [[String: Any]])?.count == 3
            }
            #expect(running["state"] as? String == "running" && running["agent"] as? String == "planner", "\(running)")
            let steps = try #require(running["steps"] as? [[String: Any]])
            #expect(steps.map { $0["step"] as? Int } == [1, 2, 3])
            #expect(
                steps.allSatisfy { ($0["output_tokens"] as? Int ?? 0) > 0 && $0["outcome"] as? String == "success" }
            )
            let usage = try #require(running["usage"] as? [String: Any])
            #expect(usage["steps"] as? Int == 3)
            #expect(
                usage["tokens"] as? Int
                    == steps.reduce(0) { $0 + ($1["input_tokens"] as! Int) + ($1["output_tokens"] as! Int) }
            )

            let ended = try await keel.post(
                "/v1/tasks/plan-\(dialect)/outcome",
                json: #"{"outcome":"success"}"#,
                key: TestKeel.adminKey
            )
            #expect(ended.status == 200, "\(ended.body)")
            let done = try #require(try await keel.send(.GET, "/admin/v1/tasks/plan-\(dialect)").json)
            #expect(done["state"] as? String == "succeeded" && done["outcome"] as? String == "success", "\(done)")
            #expect(done["ended_at"] as? Int != nil)
        }
    }

    @Test(arguments: AgentRegistryTests.dialects)
    func aTaskBudgetRefusesTheNextCallAndFailsOrPausesTheTask(dialect: String) async throws {
        try await TestKeel.run(configure: Self.fast) { keel in
            _ = try await AgentRegistryTests.register(
                keel,
                #"{"id":"capped","name":"Capped","task_budget":{"steps":2}}"#
            )
            _ = try await AgentRegistryTests.register(
                keel,
                #"{"id":"paused","name":"Paused","task_budget":{"steps":1},"on_budget_exceeded":"pause"}"#
            )
            let capped = try await AgentRegistryTests.agentKey(keel, agent: "capped")
            let paused = try await AgentRegistryTests.agentKey(keel, agent: "paused")
            let task = { (id: String) in [("x-keel-task", id)] }

            for stream in [false, true] {
                let ok = try await AgentRegistryTests.call(
                    keel,
                    dialect: dialect,
                    stream: stream,
                    key: capped,
                    headers: task("c1")
                )
                #expect(ok.status == 200, "\(ok.body)")
            }
            let refused = try await AgentRegistryTests.call(
                keel,
                dialect: dialect,
                stream: true,
                key: capped,
                headers: task("c1")
            )
            #expect(refused.status == 429, "\(refused.body)")
            #expect(refused.body.contains("has used its budget of steps"), "\(refused.body)")
            if dialect == "openai" { #expect(AgentRegistryTests.refusal(refused) == "task_budget_exceeded") }
            let failed = try await Self.waitForTask(keel, "c1") { $0["state"] as? String == "failed" }
            #expect(failed["reason"] as? String == "task_budget_exceeded: steps", "\(failed)")
            #expect(
                try await AgentRegistryTests.call(
                    keel,
                    dialect: dialect,
                    stream: false,
                    key: capped,
                    headers: task("c1")
                ).status
                    == 429
            )
            #expect(
                try await AgentRegistryTests.call(
                    keel,
                    dialect: dialect,
                    stream: false,
                    key: capped,
                    headers: task("c2")
                ).status
                    == 200,
                "another task has its own budget"
            )

            // Paused: a reviewer extends the budget and the task runs on.
            #expect(
                try await AgentRegistryTests.call(
                    keel,
                    dialect: dialect,
                    stream: false,
                    key: paused,
                    headers: task("p1")
                ).status == 200
            )
            let waiting = try await AgentRegistryTests.call(
                keel,
                dialect: dialect,
                stream: false,
                key: paused,
                headers: task("p1")
            )
            #expect(waiting.status == 429 && waiting.body.contains("paused"), "\(waiting.body)")
            _ = try await Self.waitForTask(keel, "p1") { $0["state"] as? String == "awaiting_approval" }
            let extended = try await keel.send(.PATCH, "/admin/v1/tasks/p1", body: #"{"budget":{"steps":5}}"#)
            #expect(extended.status == 200, "\(extended.body)")
            #expect(extended.json?["state"] as? String == "running")
            #expect((extended.json?["budget"] as? [String: Any])?["steps"] as? Int == 5)
            let resumed = try await AgentRegistryTests.call(
                keel,
                dialect: dialect,
                stream: true,
                key: paused,
                headers: task("p1")
            )
            #expect(resumed.status == 200, "\(resumed.body)")
        }
    }

    @Test func costTimeAndDepthLimitsHoldAndACancelledTaskIsRefused() async throws {
        try await TestKeel.run(configure: Self.fast) { keel in
            _ = try await AgentRegistryTests.register(
                keel,
                #"{"id":"spender","name":"Spender","task_budget":{"cost_usd":"0.000000001"}}"#
            )
            let spender = try await AgentRegistryTests.agentKey(keel, agent: "spender")
            let headers = [("x-keel-task", "spend-1")]
            #expect(
                try await keel.post("/v1/chat/completions", json: chatBody("one"), key: spender, headers: headers)
                    .status == 200
            )
            // The first call's cost reaches the limit once its record is in.
            var status = 200
            let deadline = ContinuousClock.now + .seconds(10)
            while status == 200, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
                status = try await keel.post(
                    "/v1/chat/completions",
                    json: chatBody("more"),
                    key: spender,
                    headers: headers
                ).status
            }
            #expect(status == 429)

            // A task queued with a one-second limit is timed out once it has run that long.
            _ = try await AgentRegistryTests.register(keel, #"{"id":"slow","name":"Slow"}"#)
            let slow = try await AgentRegistryTests.agentKey(keel, agent: "slow")
            #expect(
                try await keel.post(
                    "/v1/tasks",
                    json: #"{"id":"brief","agent":"slow","budget":{"seconds":1}}"#,
                    key: slow
                ).status
                    == 201
            )
            #expect(try await keel.post("/v1/tasks/claim", json: "", key: slow).json?["id"] as? String == "brief")
            let timedOut = try await Self.waitForTask(keel, "brief") { $0["state"] as? String == "timed_out" }
            #expect(timedOut["reason"] as? String == "wall-clock limit of 1 s")

            // Depth: a parent that allows one level of sub-tasks.
            #expect(
                try await keel.post("/v1/tasks", json: #"{"id":"root","agent":"slow","budget":{"depth":1}}"#, key: slow)
                    .status
                    == 201
            )
            let child = try await keel.post(
                "/v1/tasks",
                json: #"{"id":"child","agent":"slow","parent":"root"}"#,
                key: slow
            )
            #expect(child.status == 201 && child.json?["depth"] as? Int == 1, "\(child.body)")
            #expect((child.json?["budget"] as? [String: Any])?["depth"] as? Int == 0, "what the root has left")
            let tooDeep = try await keel.post(
                "/v1/tasks",
                json: #"{"id":"deep","agent":"slow","parent":"child","budget":{"depth":5}}"#,
                key: slow
            )
            #expect(tooDeep.status == 429, "its own budget cannot lift its ancestors' limit: \(tooDeep.body)")
            let sibling = try await keel.post(
                "/v1/tasks",
                json: #"{"id":"sibling","agent":"slow","parent":"root"}"#,
                key: slow
            )
            #expect(sibling.status == 201, "\(sibling.body)")

            // Cancelled: queued tasks are no longer handed out, running ones make no more calls.
            let cancelled = try await keel.post("/admin/v1/tasks/root/cancel", json: #"{"reason":"not needed"}"#)
            #expect(cancelled.status == 200 && cancelled.json?["state"] as? String == "cancelled", "\(cancelled.body)")
            #expect(try await keel.post("/admin/v1/tasks/root/cancel", json: "").status == 409)
            #expect(
                try await keel.post(
                    "/v1/chat/completions",
                    json: chatBody("x"),
                    key: slow,
                    headers: [("x-keel-task", "root")]
                )
                .status == 409
            )
        }
    }

    @Test(arguments: AgentRegistryTests.dialects)
    func aTaskGoingRoundInCirclesIsPausedOrWarnedAbout(dialect: String) async throws {
        try await TestKeel.run(configure: Self.fast) { keel in
            _ = try await AgentRegistryTests.register(keel, #"{"id":"looper","name":"Looper","loops":"pause"}"#)
            _ = try await AgentRegistryTests.register(keel, #"{"id":"noisy","name":"Noisy"}"#)
            let looper = try await AgentRegistryTests.agentKey(keel, agent: "looper")
            let noisy = try await AgentRegistryTests.agentKey(keel, agent: "noisy")
            let task = { (id: String) in [("x-keel-task", id)] }
            for _ in 0..<2 {
                let same = try await AgentRegistryTests.call(
                    keel,
                    dialect: dialect,
                    stream: false,
                    prompt: "are we there yet",
                    key: looper,
                    headers: task("loop-1")
                )
                #expect(same.status == 200, "\(same.body)")
            }
            let third = try await AgentRegistryTests.call(
                keel,
                dialect: dialect,
                stream: false,
                prompt: "are we there yet",
                key: looper,
                headers: task("loop-1")
            )
            #expect(third.status == 409, "\(third.body)")
            #expect(third.body.contains("goes round in circles (repeated_request)"), "\(third.body)")
            if dialect == "openai" { #expect(AgentRegistryTests.refusal(third) == "agent_loop_detected") }
            let other = try await AgentRegistryTests.call(
                keel,
                dialect: dialect,
                stream: true,
                prompt: "something else",
                key: looper,
                headers: task("loop-1")
            )
            #expect(other.status == 409, "paused until a reviewer resumes it: \(other.body)")
            let paused = try await Self.waitForTask(keel, "loop-1") { $0["state"] as? String == "awaiting_approval" }
            #expect(paused["reason"] as? String == "agent_loop: repeated_request", "\(paused)")
            let resumed = try await keel.post("/admin/v1/tasks/loop-1/resume", json: "")
            #expect(resumed.status == 200 && resumed.json?["state"] as? String == "running", "\(resumed.body)")
            #expect(
                try await AgentRegistryTests.call(
                    keel,
                    dialect: dialect,
                    stream: false,
                    prompt: "are we there yet",
                    key: looper,
                    headers: task("loop-1")
                ).status == 200
            )

            // The default is a warning: the calls go on, an alert fires once.
            for _ in 0..<4 {
                let response = try await AgentRegistryTests.call(
                    keel,
                    dialect: dialect,
                    stream: false,
                    prompt: "again",
                    key: noisy,
                    headers: task("noisy-1")
                )
                #expect(response.status == 200, "\(response.body)")
            }
            let firing = try #require(try await keel.send(.GET, "/admin/v1/alerts").json?["firing"] as? [[String: Any]])
            let loops = firing.filter { $0["rule"] as? String == "agent_loop" }
            #expect(loops.count == 2, "\(firing)")
            #expect(loops.contains { ($0["labels"] as? [String: Any])?["task"] as? String == "noisy-1" })
        }
    }

    @Test func aTaskPausedOnItsBudgetIsAReviewersQuestionApprovedOrDenied() async throws {
        try await TestKeel.run(configure: Self.fast) { keel in
            _ = try await AgentRegistryTests.register(
                keel,
                #"{"id":"frugal","name":"Frugal","task_budget":{"steps":2},"on_budget_exceeded":"pause"}"#
            )
            let key = try await AgentRegistryTests.agentKey(keel, agent: "frugal")
            func step() async throws -> Int {
                try await AgentRegistryTests.call(
                    keel,
                    dialect: "openai",
                    stream: false,
                    key: key,
                    headers: [("x-keel-task", "frugal-1")]
                )
                .status
            }
            func pendingBudget() async throws -> [String: Any] {
                for _ in 0..<200 {
                    let listed = try await keel.send(.GET, "/admin/v1/escalations?state=pending&task=frugal-1")
                    if let found = (listed.json?["data"] as? [[String: Any]])?.first { return found }
                    try await Task.sleep(for: .milliseconds(25))
                }
                Issue.record("no budget escalation")
                return [:]
            }
            #expect(try await step() == 200)
            #expect(try await step() == 200)
            #expect(try await step() == 429, "the third step is past the budget: the task pauses")
            let question = try await pendingBudget()
            #expect(question["kind"] as? String == "budget" && question["tool"] as? String == "steps", "\(question)")
            let id = try #require(question["id"] as? String)
            let approved = try await keel.post("/admin/v1/escalations/\(id)/approve", json: #"{"reason":"worth it"}"#)
            #expect(approved.json?["state"] as? String == "approved", "\(approved.body)")
            let running = try await Self.waitForTask(keel, "frugal-1") { $0["state"] as? String == "running" }
            #expect(
                (running["budget"] as? [String: Any])?["steps"] as? Int == 4,
                "the limit it reached, doubled: \(running)"
            )
            // Four steps now; three are used (the refused call is a step of the task too).
            #expect(try await step() == 200)
            #expect(try await step() == 429)
            let again = try #require(try await pendingBudget()["id"] as? String)
            #expect(again != id)
            _ = try await keel.post("/admin/v1/escalations/\(again)/deny", json: #"{"reason":"enough"}"#)
            _ = try await Self.waitForTask(keel, "frugal-1") { $0["state"] as? String == "failed" }
        }
    }

    @Test func spendAboveItsLimitAsksAReviewerAndTokensAreALimitToo() async throws {
        try await TestKeel.run(configure: Self.fast) { keel in
            // The spend gate: a task past its cost waits for a reviewer.
            _ = try await AgentRegistryTests.register(
                keel,
                #"{"id":"buyer","name":"Buyer","task_budget":{"cost_usd":"0.000000001"},"on_budget_exceeded":"pause"}"#
            )
            let buyer = try await AgentRegistryTests.agentKey(keel, agent: "buyer")
            _ = try await AgentRegistryTests.register(
                keel,
                #"{"id":"chatty","name":"Chatty","task_budget":{"tokens":10}}"#
            )
            let chatty = try await AgentRegistryTests.agentKey(keel, agent: "chatty")
            func call(_ key: String, _ task: String) async throws -> TestResponse {
                try await keel.post(
                    "/v1/chat/completions",
                    json: chatBody("one more"),
                    key: key,
                    headers: [("x-keel-task", task)]
                )
            }
            #expect(try await call(buyer, "buy-1").status == 200)
            #expect(try await call(chatty, "chat-1").status == 200)
            // Each first call's usage reaches its task once its record is in.
            var refused: TestResponse?
            try await eventually {
                let response = try await call(buyer, "buy-1")
                if response.status == 429 { refused = response }
                return response.status == 429
            }
            #expect(refused?.body.contains("task_budget_exceeded") == true, "\(refused?.body ?? "")")
            var question: [String: Any] = [:]
            try await eventually {
                let listed = try await keel.send(.GET, "/admin/v1/escalations?state=pending&task=buy-1")
                question = (listed.json?["data"] as? [[String: Any]])?.first ?? [:]
                return !question.isEmpty
            }
            #expect(question["kind"] as? String == "budget" && question["tool"] as? String == "cost", "\(question)")
            let approved = try await keel.post(
                "/admin/v1/escalations/\(question["id"] as? String ?? "")/approve",
                json: #"{"reason":"worth it"}"#
            )
            #expect(approved.json?["state"] as? String == "approved", "\(approved.body)")
            let running = try await Self.waitForTask(keel, "buy-1") { $0["state"] as? String == "running" }
            #expect((running["budget"] as? [String: Any])?["cost_usd"] as? String == "0.000000002", "\(running)")

            var tokensRefused: TestResponse?
            try await eventually {
                let response = try await call(chatty, "chat-1")
                if response.status == 429 { tokensRefused = response }
                return response.status == 429
            }
            #expect(tokensRefused?.body.contains("tokens") == true, "\(tokensRefused?.body ?? "")")
            let failed = try await Self.waitForTask(keel, "chat-1") { $0["state"] as? String == "failed" }
            #expect((failed["usage"] as? [String: Any])?["tokens"] as? Int ?? 0 > 10, "\(failed)")
        }
    }

    @Test func aSuspendedAgentsQueuedTasksStayQueuedUntilItIsResumed() async throws {
        try await TestKeel.run(configure: Self.fast) { keel in
            _ = try await AgentRegistryTests.register(keel, #"{"id":"worker","name":"Worker"}"#)
            let key = try await AgentRegistryTests.agentKey(keel, agent: "worker")
            let queued = try await keel.post("/v1/tasks", json: #"{"id":"job-1","agent":"worker"}"#, key: key)
            #expect(queued.status == 201, "\(queued.body)")
            #expect(try await keel.post("/admin/v1/agents/worker/suspend", json: #"{"reason":"drill"}"#).status == 200)
            var claim = try await keel.post("/v1/tasks/claim", json: "", key: key)
            try await eventually {
                claim = try await keel.post("/v1/tasks/claim", json: "", key: key)
                return claim.status == 403
            }
            #expect(claim.status == 403 && claim.body.contains("agent_suspended"), "\(claim.body)")
            let held = try await keel.send(.GET, "/admin/v1/tasks/job-1")
            #expect(held.json?["state"] as? String == "queued", "\(held.body)")
            #expect(try await keel.post("/admin/v1/agents/worker/resume", json: "").status == 200)
            try await eventually {
                claim = try await keel.post("/v1/tasks/claim", json: "", key: key)
                return claim.status == 200
            }
            #expect(claim.json?["id"] as? String == "job-1", "\(claim.body)")
        }
    }
}
