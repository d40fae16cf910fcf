-- POST confirmation links, each once: the tokens come from a file written by bench/seed.py.
-- Thread t of n takes lines FIRST+t, FIRST+t+n, ...; a thread that runs out stops.
-- wrk -s bench/lua/confirm.lua http://127.0.0.1:PORT -- SLUG TOKENS_FILE FIRST CSRF_COOKIE CSRF_TOKEN
local dir = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
dofile(dir .. "common.lua")

local prefix, tokens, body, stride
local index = 0
ran_out = 0

function init(args)
   prefix = "/s/" .. args[1] .. "/confirm/"
   local first = tonumber(args[3])
   local nthreads = tonumber(os.getenv("BENCH_WRK_THREADS") or "1")
   stride = nthreads
   tokens = {}
   local n = 0
   for line in io.lines(args[2]) do
      if n >= first and (n - first) % stride == tid then
         table.insert(tokens, line)
      end
      n = n + 1
   end
   body = "csrfmiddlewaretoken=" .. urlencode(args[5])
   wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
   wrk.headers["Cookie"] = "csrftoken=" .. args[4]
end

function request()
   index = index + 1
   if index > #tokens then
      ran_out = 1
      wrk.thread:stop()
      index = #tokens
   end
   sent = sent + 1
   return wrk.format("POST", prefix .. tokens[index] .. "/", nil, body)
end
