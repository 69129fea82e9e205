-- Partial batch failure: kafka.process runs the function for each record in
-- a protected call and returns the records that failed, so Lambda retries
-- only those. Needs FunctionResponseTypes: ["ReportBatchItemFailures"] on
-- the event source mapping.
local router = require "router"
local kafka = require "kafka"

router.kafka(function(event, context)
  return kafka.process(event, function(record, ctx)
    local order, err = kafka.json(record)
    if not order then error("not an order: " .. err, 0) end
    if not order.id then error("order without an id", 0) end
    print(("order %d stored (request %s)"):format(order.id,
      ctx.aws_request_id))
  end, context)
end)
