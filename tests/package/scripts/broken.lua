-- A handler with a syntax error: loading it must fail at init.
local router = require "router"
router.kafka(function(event)
  return { oops = 
end)
