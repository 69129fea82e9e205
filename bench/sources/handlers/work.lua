-- bench/sources: the Lua handler, twin of node_work.mjs: the same work on
-- the same events. SQS: sum the body bytes; Kinesis: sum the decoded data
-- bytes; DynamoDB: sum each new image's amount and count its attributes
-- (the runtime hands plain values; Node unmarshalls by hand); Kafka: sum
-- the value bytes. Returns { records, bytes, sum } for the check.
local router = require "router"

local function batch(field)
  return function(event)
    local bytes = 0
    for _, r in ipairs(event.records) do bytes = bytes + #r[field] end
    return { records = #event.records, bytes = bytes, sum = 0 }
  end
end

router.sqs(batch("body"))
router.kinesis(batch("data"))
router.kafka(batch("value"))
router.dynamodb(function(event)
  local sum, attrs = 0, 0
  for _, r in ipairs(event.records) do
    local img = r.new_image
    sum = sum + img.amount
    for _ in pairs(img) do attrs = attrs + 1 end
  end
  return { records = #event.records, bytes = attrs,
           sum = math.floor(sum * 100 + 0.5) }
end)
