-- file: examples/handlers/custom/handler.lua
-- A handler for any event that is not Kafka: it gets plain decoded JSON.
local router = require "router"
local json = require "json"

local invocations = 0 -- module state survives between warm invocations

router.custom(function(event, context)
  invocations = invocations + 1
  print("request " .. context.aws_request_id .. " for " .. tostring(event.name))
  return {
    greeting = "hello " .. tostring(event.name),
    invocations = invocations,
    tags = json.array({}), -- an empty array, not {}
    remaining_ms_positive = context:get_remaining_time_in_millis() > 0,
  }
end)
