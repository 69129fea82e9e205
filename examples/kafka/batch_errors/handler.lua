-- Batch processing with error handling: every record runs in a protected
-- call, and the response lists what succeeded and what failed.
local router = require "router"
local json = require "json"
local kafka = require "kafka"

local function process_payment(record)
  local payment, err = kafka.json(record)
  if not payment then error("invalid JSON: " .. err, 0) end
  if payment.amount <= 0 then
    error(("amount must be positive, got %d"):format(payment.amount), 0)
  end
  print(("charged %d (offset %d)"):format(payment.amount, record.offset))
end

router.kafka(function(event, context)
  local successful, failed = json.array({}), json.array({})
  for _, record in ipairs(event.records) do
    local ok, err = pcall(process_payment, record)
    local id = { topic = record.topic, partition = record.partition,
                 offset = record.offset }
    if ok then
      successful[#successful + 1] = id
    else
      id.error = tostring(err)
      failed[#failed + 1] = id
    end
  end
  return { successful = successful, failed = failed }
end)
