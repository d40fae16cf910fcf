-- Shared by the bench scripts: per-thread status counters, and a done() that prints one
-- JSON line ("BENCH_JSON {...}") for bench/run.py to read. Loaded with dofile() by each script.

local threads = {}
local next_id = 0

function setup(thread)
   thread:set("tid", next_id)
   next_id = next_id + 1
   table.insert(threads, thread)
end

-- Per-thread counters (globals in each thread's own Lua state; read back with thread:get).
sent = 0
s2xx = 0
s3xx = 0
s4xx = 0
s5xx = 0
sother = 0
ran_out = 0

function count_status(status)
   if status >= 200 and status < 300 then
      s2xx = s2xx + 1
   elseif status >= 300 and status < 400 then
      s3xx = s3xx + 1
   elseif status >= 400 and status < 500 then
      s4xx = s4xx + 1
   elseif status >= 500 and status < 600 then
      s5xx = s5xx + 1
   else
      sother = sother + 1
   end
end

function response(status, headers, body)
   count_status(status)
end

function done(summary, latency, requests)
   local totals = { sent = 0, s2xx = 0, s3xx = 0, s4xx = 0, s5xx = 0, sother = 0, ran_out = 0 }
   for _, thread in ipairs(threads) do
      for name, _ in pairs(totals) do
         totals[name] = totals[name] + (thread:get(name) or 0)
      end
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"duration_us": %d, "requests": %d, "bytes": %d, ' ..
      '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
      '"status": {"2xx": %d, "3xx": %d, "4xx": %d, "5xx": %d, "other": %d}, "sent": %d, "ran_out": %d, ' ..
      '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "max": %d, "mean": %.1f}}\n',
      summary.duration, summary.requests, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      totals.s2xx, totals.s3xx, totals.s4xx, totals.s5xx, totals.sother, totals.sent, totals.ran_out,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
      latency.mean))
end

function urlencode(s)
   return (string.gsub(s, "[^%w%-%._~]", function(c)
      return string.format("%%%02X", string.byte(c))
   end))
end
