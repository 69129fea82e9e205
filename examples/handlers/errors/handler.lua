-- file: examples/handlers/errors/handler.lua
-- Errors become Lambda's {"errorMessage", "errorType", "stackTrace"}.
local router = require "router"

router.custom(function(event)
  if event.kind == "typed" then
    error({ type = "Orders.Invalid", message = "order " .. event.id .. " has no items" })
  end
  error("something went wrong") -- errorType "Lua.RuntimeError"
end)
