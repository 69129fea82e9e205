-- file: examples/sources/kinesis/handler.lua
-- Kinesis: data is the decoded bytes; here each record is a JSON reading.
local router = require "router"
local json = require "json"

router.kinesis(function(event)
  return router.process(event, function(record)
    local reading = json.decode(record.data)
    print(("%s: %s = %s"):format(record.partition_key, reading.sensor,
      reading.value))
  end)
end)
