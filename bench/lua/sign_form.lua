-- Sign-on through the HTML form, one unique signer per request, with the CSRF cookie and
-- token and the form's start-time token that bench/run.py read from a real GET of the
-- statement page (the form was handed out seconds before, as to a person who reads first).
-- wrk -s bench/lua/sign_form.lua http://127.0.0.1:PORT -- SLUG RUN_ID CSRF_COOKIE CSRF_TOKEN [STARTED]
local dir = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
dofile(dir .. "common.lua")

local path, run_id, token, started

function init(args)
   path = "/s/" .. args[1] .. "/sign/"
   run_id = args[2]
   token = args[4]
   started = args[5]
   wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
   wrk.headers["Cookie"] = "csrftoken=" .. args[3]
end

function request()
   sent = sent + 1
   local body = "csrfmiddlewaretoken=" .. urlencode(token)
      .. (started and ("&ind-started=" .. urlencode(started)) or "")
      .. "&ind-kind=individual"
      .. "&ind-name=" .. urlencode(string.format("Bench Signer %d", sent))
      .. "&ind-email=" .. urlencode(string.format("%s-%d-%d@bench.example.org", run_id, tid, sent))
   return wrk.format("POST", path, nil, body)
end
