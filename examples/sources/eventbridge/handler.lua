-- file: examples/sources/eventbridge/handler.lua
-- EventBridge: route on detail_type; detail is a plain table.
local router = require "router"

local on = {
  ["EC2 Instance State-change Notification"] = function(d)
    return ("instance %s is %s"):format(d["instance-id"], d.state)
  end,
}

router.eventbridge(function(event)
  local f = on[event.detail_type]
  if not f then return "ignored " .. event.detail_type end
  return f(event.detail)
end)
