-- bench (schema): the Lua handler of bench/schema/run.sh, the twin of
-- bench/schema/node/app.mjs.
--
-- Values arrive decoded (Avro or Protobuf, in Lambda's schema-registry
-- mode): the schema id picks the reader. The handler sums total_cents and
-- counts records per topic; the load server checks the result against what
-- gen_events.py computed, so both runtimes are seen to do the same work.
local router = require "router"
local kafka = require "kafka"

local readers = {
  ["1"] = kafka.avro("order.avsc"),
  ["2"] = kafka.protobuf("order.pb", "bench.v1.Order"),
}

router.kafka(function(event)
  local n, total = 0, 0
  local topics = {}
  for _, record in ipairs(event.records) do
    n = n + 1
    total = total + record.value.total_cents
    local topic = record.topic
    topics[topic] = (topics[topic] or 0) + 1
  end
  return { records = n, total_cents = total, topics = topics }
end, { value = readers })
