-- GET the URL given to wrk, counting answers by status class.
-- wrk -s bench/lua/get.lua URL
local dir = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
dofile(dir .. "common.lua")

function request()
   sent = sent + 1
   return wrk.request()
end
