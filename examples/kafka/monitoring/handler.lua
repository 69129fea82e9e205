-- Monitoring: count records, errors and bytes, and log the metrics as one
-- structured line (with AWS_LAMBDA_LOG_FORMAT=JSON the fields become JSON
-- members, ready for CloudWatch Logs Insights or a metric filter).
local router = require "router"
local kafka = require "kafka"
local log = require "log"

router.kafka(function(event, context)
  local processed, errors, bytes = 0, 0, 0
  for _, record in ipairs(event.records) do
    bytes = bytes + #(record.key or "") + #(record.value or "")
    local ok = pcall(function()
      assert(kafka.json(record))
    end)
    if ok then processed = processed + 1 else errors = errors + 1 end
  end
  local metrics = { processed = processed, errors = errors,
                    bytes_processed = bytes, records = #event.records }
  log.info("kafka batch metrics", metrics)
  return metrics
end)
