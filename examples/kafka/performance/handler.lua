-- Performance: group the batch by topic, then handle each group in one go
-- (one database write or one downstream request per topic, not per record).
local router = require "router"
local kafka = require "kafka"

local function write_batch(topic, records)
  local bytes = 0
  for _, record in ipairs(records) do bytes = bytes + #(record.value or "") end
  print(("topic %s: %d records, %d bytes"):format(topic, #records, bytes))
  return bytes
end

router.kafka(function(event, context)
  local groups = kafka.by_topic(event)
  -- pairs() order is not defined: sort for a stable output.
  local topics = {}
  for topic in pairs(groups) do topics[#topics + 1] = topic end
  table.sort(topics)
  local summary = {}
  for _, topic in ipairs(topics) do
    summary[topic] = { records = #groups[topic],
                       bytes = write_batch(topic, groups[topic]) }
  end
  return summary
end)
