-- A decode failure in a partial batch: a record whose value does not decode
-- has value nil and a decode_error; kafka.process reports it in
-- batchItemFailures without calling the function, next to the records the
-- function itself failed. A tombstone (no value) is not a failure.
local router = require "router"
local kafka = require "kafka"

local order = kafka.avro("schemas/order.avsc")

router.kafka(function(event, context)
  return kafka.process(event, function(record)
    if record.value == nil then return end -- a tombstone
    if record.value.amount_cents < 0 then
      error("negative amount in " .. record.value.id)
    end
  end, context)
end, { value = order, key = "string" })
