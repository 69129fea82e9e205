-- bench: the Lua handler of the bench (bench/run.sh), the twin of bench/node/app.mjs.
--
-- Kafka: walks every record of a Kafka event, builds each record's header table the
-- way kafka.headers does (name -> value, first occurrence wins), counts
-- records per topic and sums key, value and header bytes. The load server
-- checks the result against what bench/gen_events.py computed, so both
-- runtimes are seen to do the same work: header_bytes proves the header
-- tables were really built.
-- SQS: counts messages, sums body bytes and attribute value bytes (Binary
-- ones decoded) and counts each attribute name. Kinesis: sums the decoded
-- data bytes and counts records per partition key. DynamoDB: sums new
-- image's amount, counts its attributes and the changes per event name
-- (the runtime hands the images as plain Lua values; Node unmarshalls
-- them).
local router = require "router"

router.sqs(function(event)
  local body_bytes, attribute_bytes, names = 0, 0, {}
  local records = event.records
  for i = 1, #records do
    local r = records[i]
    body_bytes = body_bytes + #r.body
    for name, a in pairs(r.message_attributes) do
      names[name] = (names[name] or 0) + 1
      attribute_bytes = attribute_bytes + #a.value
    end
  end
  return { records = #records, body_bytes = body_bytes,
           attribute_bytes = attribute_bytes, attributes = names }
end)

router.kinesis(function(event)
  local data_bytes, keys = 0, {}
  local records = event.records
  for i = 1, #records do
    local r = records[i]
    data_bytes = data_bytes + #r.data
    keys[r.partition_key] = (keys[r.partition_key] or 0) + 1
  end
  return { records = #records, data_bytes = data_bytes, partition_keys = keys }
end)

router.dynamodb(function(event)
  local sum, attributes, events = 0, 0, {}
  local records = event.records
  for i = 1, #records do
    local r = records[i]
    local img = r.new_image
    sum = sum + img.amount
    for _ in pairs(img) do
      attributes = attributes + 1
    end
    events[r.event_name] = (events[r.event_name] or 0) + 1
  end
  return { records = #records, amount_sum = sum, attributes = attributes,
           events = events }
end)

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
