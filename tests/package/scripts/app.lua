-- The handler the packaging tests deploy: it needs the runtime's own Lua
-- module (kafka, from lua/ beside the binary), the preloaded C modules
-- (router, json) and a nested module of its own (jobs/orders.lua).
local router = require "router"
local kafka = require "kafka"
local json = require "json"
local orders = require "jobs.orders"

router.kafka(function(event, context)
  local seen = {}
  local response = kafka.process(event, function(record)
    local order = assert(kafka.json(record))
    if order.fail then
      error("order " .. tostring(order.id) .. " rejected")
    end
    seen[#seen + 1] = orders.describe(record, order)
  end)
  response.seen = json.array(seen)
  response.source = event.event_source
  response.request_id = context.aws_request_id
  response.version = orders.VERSION
  return response
end)
