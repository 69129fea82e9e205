-- file: examples/sources/sqs/handler.lua
-- SQS: each message body is an order in JSON; a bad one fails alone and
-- Lambda redelivers only it (ReportBatchItemFailures on the mapping).
local router = require "router"
local json = require "json"

router.sqs(function(event)
  return router.process(event, function(message)
    local order = json.decode(message.body)
    if not order.id then error("order without id") end
    print(("order %s from queue %s"):format(order.id,
      message.event_source_arn))
  end)
end)
