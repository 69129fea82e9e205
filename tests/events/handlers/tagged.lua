-- Every Lua value as a tagged JSON tree, for test_events.py: strings as hex
-- ({s = "..."}), integers and floats apart ({i = "12"}, {f = "%.17g"}),
-- booleans, json.null ({null = true}) and tables ({t = {key = ...}}; keys
-- as text), so the test sees exactly what a handler would, bytes included.
local json = require "json"

local byte, format, concat, tostring = string.byte, string.format,
  table.concat, tostring

local function hex(s)
  local out = {}
  for i = 1, #s do out[i] = format("%02x", byte(s, i)) end
  return concat(out)
end

local function tagged(v)
  local t = type(v)
  if t == "string" then return { s = hex(v) } end
  if math.type(v) == "integer" then return { i = tostring(v) } end
  if t == "number" then return { f = format("%.17g", v) } end
  if t == "boolean" then return { b = v } end
  if v == json.null then return { null = true } end
  if t == "table" then
    local o = {}
    for k, x in pairs(v) do o[tostring(k)] = tagged(x) end
    return { t = o }
  end
  return { other = t }
end

return tagged
