-- bench: the Lua handler of the bench (bench/run.sh), the twin of bench/node/app.mjs.
--
-- Walks every record of a Kafka event, builds each record's header table the
-- way kafka.headers does (name -> value, first occurrence wins), counts
-- records per topic and sums key, value and header bytes. The load server
-- checks the result against what bench/gen_events.py computed, so both
-- runtimes are seen to do the same work: header_bytes proves the header
-- tables were really built.
local router = require "router"

router.kafka(function(event)
  local n, key_bytes, value_bytes, header_bytes = 0, 0, 0, 0
  local topics = {}
  for _, record in ipairs(event.records) do
    n = n + 1
    local key, value = record.key, record.value
    if key then
      key_bytes = key_bytes + #key
    end
    if value then
      value_bytes = value_bytes + #value
    end
    local headers = {}
    for _, h in ipairs(record.headers) do
      if headers[h.key] == nil then
        headers[h.key] = h.value
      end
    end
    for _, v in pairs(headers) do
      header_bytes = header_bytes + #v
    end
    local topic = record.topic
    topics[topic] = (topics[topic] or 0) + 1
  end
  return {
    records = n,
    key_bytes = key_bytes,
    value_bytes = value_bytes,
    header_bytes = header_bytes,
    topics = topics,
  }
end)
