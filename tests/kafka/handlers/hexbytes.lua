-- Byte strings as lowercase hex for the test handlers (nil as JSON null), so
-- test_kafka_events.py can compare binary keys, values and headers exactly.
local json = require "json"

local byte, format, concat = string.byte, string.format, table.concat

return function(s)
  if s == nil then return json.null end
  local out = {}
  for i = 1, #s do out[i] = format("%02x", byte(s, i)) end
  return concat(out)
end
