-- file: examples/logging/handler.lua
-- A handler that logs. Run it with
--   build/bootstrap --event examples/logging/event.json --root examples/logging
-- and again with AWS_LAMBDA_LOG_FORMAT=JSON or AWS_LAMBDA_LOG_LEVEL=DEBUG set.
local router = require "router"
local log = require "log"

router.custom(function(event, context)
  log.debug("order received", { items = #event.items })
  log.info("processing order", { order_id = event.order_id, items = #event.items })
  print("plain print", event.order_id)
  log.warn("slow supplier\nretrying once")
  log.error("item out of stock", { sku = event.items[2], retry = false })
  return { order_id = event.order_id, accepted = #event.items - 1 }
end)
