-- A module in the task root's lib/ folder, required as "lib.greet".
local M = {}

function M.hello(name)
  return "hello, " .. name
end

return M
