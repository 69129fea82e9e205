-- Evolving writers: each Confluent schema id has its own reader, so records
-- written with the old and the new schema decode side by side. A record whose
-- id is not in the table gets a decode_error (and a nil value), like any
-- record that does not decode.
local router = require "router"
local kafka = require "kafka"

local readers = {
  [1] = kafka.avro("schemas/order-v1.avsc"), -- ids as numbers or as text
  ["2"] = kafka.avro("schemas/order-v2.avsc"),
}

router.kafka(function(event)
  local seen = {}
  for _, record in ipairs(event.records) do
    local o = record.value
    if o then
      -- v1 writers had no currency: default it here.
      seen[#seen + 1] = ("%s %d %s"):format(o.id, o.amount_cents,
        o.currency or "EUR")
    else
      seen[#seen + 1] = record.decode_error
    end
  end
  return seen
end, { value = readers, key = "string" })
