-- Avro from a Confluent topic: each value is 0x00, a 4-byte schema id, then
-- the Avro binary. The runtime strips the framing and decodes the value in
-- C, before the handler runs: record.value is a plain Lua table.
local router = require "router"
local kafka = require "kafka"
local json = require "json"

local order = kafka.avro("schemas/order.avsc") -- loaded once, at init

router.kafka(function(event)
  local total = 0
  for _, record in ipairs(event.records) do
    local o = record.value
    -- An Avro null (the note union's "null" branch) is json.null.
    local note = o.note ~= json.null and o.note or "-"
    print(("%s (schema %s): %s %s %d cents, note %s"):format(record.key,
      record.value_schema_id, o.id, o.status, o.amount_cents, note))
    total = total + o.amount_cents
  end
  return { records = #event.records, total_cents = total }
end, { value = order, key = "string" })
