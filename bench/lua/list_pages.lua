-- GET pages of the signatory list spread over the whole list, so each page is read from the
-- database rather than from the 2-second copy the server keeps of a page just read.
-- wrk -s bench/lua/list_pages.lua http://127.0.0.1:PORT/s/SLUG/signatories/ -- PAGES
local dir = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
dofile(dir .. "common.lua")

local pages

function init(args)
   pages = tonumber(args[1]) or 1000
   math.randomseed(os.time() + (tid or 0))
end

function request()
   sent = sent + 1
   return wrk.format("GET", wrk.path .. "?page=" .. math.random(1, pages))
end
