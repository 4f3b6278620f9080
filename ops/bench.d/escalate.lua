-- ops/bench.d/escalate.lua - wrk script: escalation requests by the agency incasso-noord over
-- BENCH_DOSSIERS dossiers (bd-0000001 ...), a mix of actions that are allowed and denied,
-- each with a unique Idempotency-Key. Prints one machine-readable line at the end.
-- Environment: BENCH_TOKEN (agency token), BENCH_DOSSIERS, BENCH_RUN (unique per run).

local token = os.getenv("BENCH_TOKEN") or "none"
local ndossiers = tonumber(os.getenv("BENCH_DOSSIERS") or "1000")
local run = os.getenv("BENCH_RUN") or tostring(os.time())

-- Weighted mix: actions the contract allows (some still denied by the rules: contact, WIK cap,
-- minimum principal, phase) and actions it forbids outright (bank seizure, eviction).
local bodies = {
  '{"action":"collection_costs","amount_cents":4000}',
  '{"action":"collection_costs","amount_cents":4000}',
  '{"action":"collection_costs","amount_cents":99900}',
  '{"action":"summons","expected_costs_cents":12000}',
  '{"action":"summons","expected_costs_cents":12000}',
  '{"action":"transfer_to_bailiff"}',
  '{"action":"wage_garnishment"}',
  '{"action":"extend_duration","extend_days":14,"note":"betalingsregeling loopt"}',
  '{"action":"bank_seizure"}',
  '{"action":"eviction"}',
  '{"action":"credit_registration"}',
}

-- tid is set per thread by setup(); it must stay a global of the thread's Lua state.
counter = 0
tid = 0
local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() * 1000 + tid * 7919)
end

function request()
  counter = counter + 1
  local d = math.random(1, ndossiers)
  local path = string.format("/v1/dossiers/bd-%07d/escalations", d)
  local headers = {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = string.format("%s-%d-%d", run, tid, counter),
  }
  return wrk.format("POST", path, headers, bodies[math.random(1, #bodies)])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH_RESULT requests=%d duration_us=%d rps=%.1f p50_ms=%.2f p99_ms=%.2f p999_ms=%.2f " ..
    "max_ms=%.2f non2xx=%d errors=%d\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000,
    latency.max / 1000, e.status, e.connect + e.read + e.write + e.timeout))
end
