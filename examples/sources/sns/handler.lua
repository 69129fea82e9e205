-- file: examples/sources/sns/handler.lua
-- SNS: the message text and its attributes (Binary ones already decoded).
local router = require "router"

router.sns(function(event)
  local out = {}
  for i, n in ipairs(event.records) do
    local prio = n.message_attributes.priority
    out[i] = { subject = n.subject, message = n.message,
               priority = prio and prio.value }
  end
  return out
end)
