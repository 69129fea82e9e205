-- file: examples/kafka/minimal/handler.lua
local router = require "router"

router.kafka(function(event, context)
  for _, record in ipairs(event.records) do
    print(record.topic, record.partition, record.offset, record.value)
  end
  return { processed = #event.records }
end)
