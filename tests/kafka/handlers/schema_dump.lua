-- Test handler for tests/kafka/test_schemas.py: builds the readers named by
-- the T_SPEC environment variable (JSON), then returns what each record
-- looks like to Lua, strings that are not printable ASCII as "hex:...".
local router = require "router"
local kafka = require "kafka"
local json = require "json"

local function hex(s)
  return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

local function dump(v)
  if type(v) == "string" then
    if v:find("[^\32-\126]") then return "hex:" .. hex(v) end
    return v
  elseif type(v) == "table" then
    local out = {}
    for k, x in pairs(v) do out[k] = dump(x) end
    return out
  elseif type(v) == "number" and math.type(v) == "float" then
    return { float = v }
  end
  return v
end

local function reader(spec)
  if type(spec) == "string" then return spec end
  if spec.ids then
    local t = {}
    for id, s in pairs(spec.ids) do t[id] = reader(s) end
    return t
  end
  local opts = spec.framing and { framing = spec.framing } or nil
  if spec.fmt == "avro" then return kafka.avro(spec.path, opts) end
  return kafka.protobuf(spec.path, spec.message, opts)
end

local spec = json.decode(os.getenv("T_SPEC"))
local options = { value = spec.value and reader(spec.value),
                  key = spec.key and reader(spec.key) }

router.kafka(function(event, context)
  if spec.process then
    local seen = {}
    local response = kafka.process(event, function(r)
      seen[#seen + 1] = r.offset
    end, context)
    response.called = json.array(seen)
    return response
  end
  local out = {}
  for i, r in ipairs(event.records) do
    out[i] = { v = dump(r.value), k = dump(r.key), id = r.value_schema_id,
               kid = r.key_schema_id, err = r.decode_error,
               vb = r.value_bytes and hex(r.value_bytes),
               kb = r.key_bytes and hex(r.key_bytes) }
  end
  return json.array(out)
end, options)
