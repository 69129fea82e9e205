-- file: examples/kafka/metrics/handler.lua
-- CloudWatch metrics from a Kafka consumer: records processed and failed and
-- bytes received, per topic. The runtime writes them as one Embedded Metric
-- Format record when the invocation ends; CloudWatch Logs turns it into
-- metrics (no API call, no agent).
local router = require "router"
local kafka = require "kafka"
local metrics = require "metrics"

router.kafka(function(event, context)
  local bytes = 0
  for _, record in ipairs(event.records) do
    bytes = bytes + #(record.value or "")
  end
  local response = kafka.process(event, function(record)
    local order, err = kafka.json(record)
    if not order then error("not an order: " .. err, 0) end
    if not order.id then error("order without an id", 0) end
  end, context)
  local failed = #response.batchItemFailures

  -- An event source mapping reads one topic: it is the batch's dimension.
  if event.records[1] then
    metrics.dimension("topic", event.records[1].topic)
  end
  metrics.add("RecordsProcessed", #event.records - failed)
  metrics.add("RecordsFailed", failed)
  metrics.add("BytesReceived", bytes, "Bytes")
  metrics.property("requestId", context.aws_request_id)
  return response
end)
