-- file: examples/hello/app/handler.lua
-- The smallest useful handler: any non-Kafka event, plain decoded JSON in,
-- any JSON-encodable value out.
local router = require "router"
local greeting = require "greeting" -- app/greeting.lua, beside this file

router.custom(function(event, context)
  if type(event.name) ~= "string" then
    error({ type = "Hello.InvalidEvent", message = "event.name must be a string" })
  end
  print("greeting " .. event.name)
  return { greeting = greeting.say(event.name) }
end)
