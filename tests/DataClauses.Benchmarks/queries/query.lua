-- wrk script of the protected-queries benchmark (run-query-benchmark.sh): every request is a POST of the same JSON
-- query body, with the bearer token when one is given; at the end the summary goes to a JSON file.
--
-- Environment:
--   WRK_BODY_FILE    the request body (the query JSON)
--   WRK_TOKEN        an access token (sent as "Authorization: Bearer ..."); empty or unset: no Authorization header
--   WRK_RESULT_FILE  where done() writes the summary: requests, duration_us, bytes, errors, latency percentiles (us)

local body_file = assert(os.getenv("WRK_BODY_FILE"), "WRK_BODY_FILE is not set")
local f = assert(io.open(body_file, "rb"))
local body = f:read("*a")
f:close()

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
local token = os.getenv("WRK_TOKEN")
if token ~= nil and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end

done = function(summary, latency, requests)
  local out = os.getenv("WRK_RESULT_FILE")
  if out == nil or out == "" then
    return
  end
  local e = summary.errors
  local file = assert(io.open(out, "w"))
  file:write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"mean": %.1f, "p50": %d, "p90": %d, "p99": %d, "max": %d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
  file:close()
end
