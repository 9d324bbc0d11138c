-- wrk script: POST a small chat-completions body (the same one for gateway and direct runs).
-- BENCH_STREAM=1 asks for a streamed answer; BENCH_KEY is the gateway key (ignored by the simulator).
-- BENCH_PROMPT_BYTES=N makes the user message about N bytes of plain prose (with line breaks,
-- written as JSON `\n` escapes, and no personal data or credential), for the guard benchmark.
local stream = os.getenv("BENCH_STREAM") == "1"
local key = os.getenv("BENCH_KEY") or "sk-bench-key-0123456789"
local promptBytes = tonumber(os.getenv("BENCH_PROMPT_BYTES") or "0")
local user = "Summarise the benefits of a gateway in front of LLM providers, briefly."
if promptBytes > 0 then
  local sentences = {
    "The gateway forwards each request to the provider the routing table picks, and records what it cost. ",
    "Teams share one set of provider keys, so nobody pastes a production key into a notebook again. ",
    "When a provider slows down, the breaker opens and traffic moves to the fallback within a few requests.\\n",
    "Budgets are checked before the request leaves, with a reservation for the answer's tokens. ",
    "Please summarise the trade-offs of streaming answers through a proxy, in plain words for a manager. ",
    "Latency matters most at the first token; the rest of the answer arrives at the model's own pace.\\n\\n",
    "Which of these points would you put first in a short memo, and why would the order matter to readers? ",
  }
  local parts = {}
  local size = 0
  local index = 0
  while size < promptBytes do
    local sentence = sentences[index % #sentences + 1]
    parts[#parts + 1] = sentence
    size = size + #sentence
    index = index + 1
  end
  user = table.concat(parts)
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. key
-- BENCH_AGENT and BENCH_TASK attribute every request to an agent and a task (the agent path).
if os.getenv("BENCH_AGENT") then wrk.headers["x-keel-agent"] = os.getenv("BENCH_AGENT") end
if os.getenv("BENCH_TASK") then wrk.headers["x-keel-task"] = os.getenv("BENCH_TASK") end
local extra = ""
if stream then extra = ',"stream":true' end
wrk.body = '{"model":"keel-sim-chat","messages":[{"role":"system","content":"You are a helpful assistant."},'
  .. '{"role":"user","content":"' .. user .. '"}],'
  .. '"max_tokens":16,"temperature":0.2' .. extra .. '}'

function response(status, headers, body)
  if status ~= 200 then
    io.stderr:write("unexpected status " .. status .. "\n")
  end
end
