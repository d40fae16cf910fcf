-- Sign-on through the HTML form, one unique signer per request, as a browser sends it from the
-- statement page: Sec-Fetch-Site and Origin saying it comes from the site itself (the form's
-- CSRF check; it needs no cookie), and the form's start-time token that bench/run.py read from
-- a real GET of the statement page (handed out seconds before, as to a person who reads first).
-- wrk -s bench/lua/sign_form.lua http://127.0.0.1:PORT -- SLUG RUN_ID STARTED
local dir = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
dofile(dir .. "common.lua")

local path, run_id, started

function init(args)
   path = "/s/" .. args[1] .. "/sign/"
   run_id = args[2]
   started = args[3]
   wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
   wrk.headers["Sec-Fetch-Site"] = "same-origin"
   wrk.headers["Origin"] = "http://" .. wrk.host .. ":" .. wrk.port
end

function request()
   sent = sent + 1
   local body = "ind-started=" .. urlencode(started)
      .. "&ind-kind=individual"
      .. "&ind-name=" .. urlencode(string.format("Bench Signer %d", sent))
      .. "&ind-email=" .. urlencode(string.format("%s-%d-%d@bench.example.org", run_id, tid, sent))
   return wrk.format("POST", path, nil, body)
end
