-- file: examples/handlers/modfunc/app.lua
-- The `module.function` form (_HANDLER=app.handle): the module returns a
-- table and the named function takes every event as plain decoded JSON.
local M = {}

function M.handle(event, context)
  return { source = event.eventSource, function_name = context.function_name }
end

return M
