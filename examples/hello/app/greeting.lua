-- file: examples/hello/app/greeting.lua
local M = {}

function M.say(name)
  return "Hello, " .. name .. "!"
end

return M
