-- Summarises a large batch for test_kafka_events.py: record count, total key
-- and value bytes, and every 997th record (plus the last) in detail.
local router = require "router"

local hex = require "hexbytes"

router.kafka(function(event)
  local records = event.records
  local n, keys, values, samples = #records, 0, 0, {}
  for i = 1, n do
    local r = records[i]
    keys = keys + #r.key
    values = values + #r.value
    if i % 997 == 1 or i == n then
      samples[tostring(i)] = { r.topic_partition, r.offset, hex(r.value),
                               hex(r.headers[1].value) }
    end
  end
  return { count = n, key_bytes = keys, value_bytes = values,
           samples = samples }
end)
