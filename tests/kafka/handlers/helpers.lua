-- Runs every kafka helper over the event and returns what each gave, for
-- test_kafka_events.py. Byte strings come back hex-encoded.
local router = require "router"
local json = require "json"
local kafka = require "kafka"

local null = json.null
local hex = require "hexbytes"

router.kafka(function(event)
  local out = { records = {} }
  for i, r in ipairs(event.records) do
    local names = {}
    for name, value in pairs(kafka.headers(r)) do names[name] = hex(value) end
    local lookups = {}
    -- Each header name as delivered, upper-cased and lower-cased.
    for _, h in ipairs(r.headers) do
      for _, n in ipairs({ h.key, h.key:upper(), h.key:lower() }) do
        lookups[n] = hex(kafka.header(r, n))
      end
    end
    local decoded, err = kafka.json(r)
    out.records[i] = {
      headers = names,
      header = lookups,
      missing = hex(kafka.header(r, "no-such-header")),
      json = decoded == nil and null or decoded,
      json_error = err ~= nil,
      json_nil = decoded == nil,
    }
  end
  out.records = json.array(out.records)
  local groups = {}
  for topic, list in pairs(kafka.by_topic(event)) do
    local offsets = {}
    for j, r in ipairs(list) do
      assert(r.topic == topic)
      offsets[j] = { r.topic_partition, r.offset }
    end
    groups[topic] = offsets
  end
  out.by_topic = groups
  return out
end)
