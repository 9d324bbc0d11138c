-- wrk script: POST one MCP `tools/call` (the simulator's `echo` tool), the same body for the
-- gateway (`/mcp/sim`) and the simulator (`/mcp`). BENCH_KEY is the gateway key; BENCH_TASK
-- sends `x-keel-task`.
local key = os.getenv("BENCH_KEY") or "sk-bench-key-0123456789"
local task = os.getenv("BENCH_TASK")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
wrk.headers["MCP-Protocol-Version"] = "2025-06-18"
wrk.headers["Authorization"] = "Bearer " .. key
if task and task ~= "" then wrk.headers["x-keel-task"] = task end
wrk.body = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hello from the benchmark"}}}'
