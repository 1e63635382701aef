-- A URL mix for wrk: each request takes the next path from the list given after "--"
-- (repeat a path to give it more weight). Each thread starts at a different place in the list,
-- so every path is in flight from the start. The result line comes from wrk_report.lua.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "wrk_report.lua")

local paths = {}
local next_index = 1
local thread_count = 0

function setup(thread)
   thread:set("offset", thread_count)
   thread_count = thread_count + 1
end

function init(args)
   for _, path in ipairs(args) do
      table.insert(paths, path)
   end
   next_index = (offset or 0) % #paths + 1
end

function request()
   local path = paths[next_index]
   next_index = next_index % #paths + 1
   return wrk.format("GET", path)
end
