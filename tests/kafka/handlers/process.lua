-- kafka.process over the event: a record fails when its value (JSON) has
-- "fail": true ("fail": "table" raises an error table instead of a string).
-- Prints one line per record handled, and checks the context is passed on.
local router = require "router"
local kafka = require "kafka"

router.kafka(function(event, context)
  return kafka.process(event, function(record, ctx)
    assert(ctx == context, "context not passed through")
    local v = assert(kafka.json(record))
    print(("handled %s %d"):format(record.topic_partition, record.offset))
    if v.fail == "table" then
      error({ type = "Orders.Invalid", message = "table error " .. record.offset })
    elseif v.fail then
      error("boom at " .. record.offset)
    end
  end, context)
end)
