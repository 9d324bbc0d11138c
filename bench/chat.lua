-- wrk script: POST a small chat-completions body (the same one for gateway and direct runs).
-- BENCH_STREAM=1 asks for a streamed answer; BENCH_KEY is the gateway key (ignored by the simulator).
local stream = os.getenv("BENCH_STREAM") == "1"
local key = os.getenv("BENCH_KEY") or "sk-bench-key-0123456789"
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. key
local extra = ""
if stream then extra = ',"stream":true' end
wrk.body = '{"model":"keel-sim-chat","messages":[{"role":"system","content":"You are a helpful assistant."},'
  .. '{"role":"user","content":"Summarise the benefits of a gateway in front of LLM providers, briefly."}],'
  .. '"max_tokens":16,"temperature":0.2' .. extra .. '}'

function response(status, headers, body)
  if status ~= 200 then
    io.stderr:write("unexpected status " .. status .. "\n")
  end
end
