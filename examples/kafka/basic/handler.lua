-- Basic processing: print where the batch came from, then every record.
local router = require "router"

router.kafka(function(event, context)
  print("event source: " .. event.event_source)
  print("bootstrap servers: " .. (event.bootstrap_servers or "(not given)"))
  for _, record in ipairs(event.records) do
    -- record.value is a Lua string of bytes, or nil for a tombstone.
    print(("%s partition %d offset %d: %s"):format(record.topic,
      record.partition, record.offset, record.value or "(no value)"))
  end
  return { processed = #event.records }
end)
