-- Headers: look at the message-type header to treat priority records first.
local router = require "router"
local kafka = require "kafka"

router.kafka(function(event, context)
  local priority, standard = 0, 0
  for _, record in ipairs(event.records) do
    -- name -> value; the first occurrence of a repeated name wins.
    local headers = kafka.headers(record)
    -- kafka.header matches the name case-insensitively.
    local kind = kafka.header(record, "message-type") or "standard"
    if kind == "priority" then
      priority = priority + 1
      print(("PRIORITY offset %d: %s (source %s)"):format(record.offset,
        record.value, headers["source"] or "unknown"))
    else
      standard = standard + 1
      print(("standard offset %d: %s"):format(record.offset, record.value))
    end
  end
  return { priority = priority, standard = standard }
end)
