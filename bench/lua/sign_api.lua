-- JSON sign-on through the public API, one unique signer per request.
-- wrk -s bench/lua/sign_api.lua http://127.0.0.1:PORT -- SLUG RUN_ID
local dir = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
dofile(dir .. "common.lua")

local path, run_id

function init(args)
   path = "/api/v1/statements/" .. args[1] .. "/signatures"
   run_id = args[2]
   wrk.headers["Content-Type"] = "application/json"
end

function request()
   sent = sent + 1
   local body = string.format(
      '{"kind": "individual", "name": "Bench Signer %d", "email": "%s-%d-%d@bench.example.org"}',
      sent, run_id, tid, sent)
   return wrk.format("POST", path, nil, body)
end
