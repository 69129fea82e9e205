-- Binary values: a value is a Lua string of raw bytes. Valid UTF-8 is
-- handled as text; anything else (Avro, Protobuf, images...) as binary.
local router = require "router"

local function hex(s, n)
  return (s:sub(1, n):gsub(".", function(c)
    return ("%02x"):format(c:byte())
  end))
end

router.kafka(function(event, context)
  local text, binary, empty = 0, 0, 0
  for _, record in ipairs(event.records) do
    local value = record.value
    if value == nil then
      empty = empty + 1
      print(("offset %d: no value (tombstone)"):format(record.offset))
    elseif utf8.len(value) then
      text = text + 1
      print(("offset %d: text, %d characters: %s"):format(record.offset,
        utf8.len(value), value))
    else
      binary = binary + 1
      print(("offset %d: binary, %d bytes, starts %s"):format(record.offset,
        #value, hex(value, 8)))
    end
  end
  return { text = text, binary = binary, empty = empty }
end)
