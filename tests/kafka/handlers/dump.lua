-- Serialise the Kafka event exactly as the handler sees it, for
-- test_kafka_events.py: bytes as lowercase hex, nil as JSON null, and each
-- record's field names and number subtypes, so the test can tell a missing
-- field from a nil one and an integer from a float.
local router = require "router"
local json = require "json"

local null = json.null
local hex = require "hexbytes"

local function opt(v)
  if v == nil then return null end
  return v
end

local function keys(t)
  local out = {}
  for k in pairs(t) do out[#out + 1] = k end
  table.sort(out)
  return json.array(out)
end

local function schema(m)
  if m == nil then return null end
  return { data_format = opt(m.data_format), schema_id = opt(m.schema_id),
           fields = keys(m) }
end

local function numtype(v)
  return math.type(v) or type(v)
end

router.kafka(function(event)
  local records = {}
  for i, r in ipairs(event.records) do
    local headers = {}
    for j, h in ipairs(r.headers) do
      headers[j] = { key = h.key, value = hex(h.value), fields = keys(h) }
    end
    records[i] = {
      topic = r.topic,
      partition = r.partition,
      offset = r.offset,
      timestamp = opt(r.timestamp),
      timestamp_type = opt(r.timestamp_type),
      key = hex(r.key),
      value = hex(r.value),
      headers = json.array(headers),
      headers_len = #r.headers,
      key_schema_metadata = schema(r.key_schema_metadata),
      value_schema_metadata = schema(r.value_schema_metadata),
      topic_partition = r.topic_partition,
      fields = keys(r),
      types = {
        partition = numtype(r.partition),
        offset = numtype(r.offset),
        timestamp = numtype(r.timestamp),
      },
    }
  end
  return {
    event_source = event.event_source,
    event_source_arn = opt(event.event_source_arn),
    bootstrap_servers = opt(event.bootstrap_servers),
    fields = keys(event),
    records = json.array(records),
    records_len = #event.records,
  }
end)
