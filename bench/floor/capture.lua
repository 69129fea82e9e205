-- capture: the Lua handler of bench/floor/run.sh. It receives an event
-- decoded by the runtime (values decoded too, when FLOOR_SCHEMA names the
-- schema handler's readers) and writes a tape of the Lua values it holds:
-- every table with its exact sizes, every string (the first occurrence of a
-- string in the event as its bytes, a repeat as a reference to it), every
-- number and boolean, in the order lua_floor.c rebuilds them. Metatables
-- (the records' lazy .raw) are left out: the tape is a lower bound.
--
-- FLOOR_TAPE: the file to write. FLOOR_PART=value: only record.value of
-- each record (the Protobuf/Avro values, whose decode the floor isolates),
-- else the whole records. FLOOR_CANON: also write the values in a canonical
-- form (keys sorted), which `lua_floor --canon` writes for what it rebuilt:
-- tests/bench/test_floor.py compares the two.
local router = require "router"

local out = assert(io.open(assert(os.getenv("FLOOR_TAPE")), "wb"))
local part = os.getenv("FLOOR_PART")
local seen, nseen = {}, 0
local chunks = {}
local pack = string.pack

local function emit(s)
  chunks[#chunks + 1] = s
  if #chunks >= 4096 then
    out:write(table.concat(chunks))
    chunks = {}
  end
end

local walk

local function value(v)
  local t = type(v)
  if t == "string" then
    local i = seen[v]
    if i then
      emit(pack("<c1I4", "C", i))
    else
      nseen = nseen + 1
      seen[v] = nseen
      emit(pack("<c1s4", "S", v))
    end
  elseif math.type(v) == "integer" then
    emit(pack("<c1i8", "I", v))
  elseif t == "number" then
    emit(pack("<c1d", "F", v))
  elseif t == "boolean" then
    emit(pack("<c1B", "B", v and 1 or 0))
  elseif t == "table" then
    walk(v)
  elseif t == "userdata" then
    emit("U") -- a null sentinel (DynamoDB's NULL, JSON's null): one shared value
  else
    error("capture: a " .. t .. " in the event")
  end
end

walk = function(t)
  local n = rawlen(t)
  local nrec = 0
  for k in next, t do
    if not (math.type(k) == "integer" and k >= 1 and k <= n) then
      nrec = nrec + 1
    end
  end
  emit(pack("<c1I4I4", "T", n, nrec))
  for i = 1, n do
    value(rawget(t, i))
    emit(pack("<c1I4", "A", i))
  end
  for k, v in next, t do
    if not (math.type(k) == "integer" and k >= 1 and k <= n) then
      value(k)
      value(v)
      emit("N")
    end
  end
end

-- The canonical form: the same text for equal values, whatever the
-- tables' iteration order. lua_floor.c's canon() writes it too.
local function key_less(a, b)
  local ta, tb = math.type(a) or type(a), math.type(b) or type(b)
  if ta ~= tb then
    return ta < tb
  end
  return a < b
end

local function canon(v, acc)
  local t = type(v)
  if t == "string" then
    acc[#acc + 1] = "s" .. #v .. ":" .. v
  elseif math.type(v) == "integer" then
    acc[#acc + 1] = "i" .. v .. ";"
  elseif t == "number" then
    acc[#acc + 1] = string.format("f%.17g;", v)
  elseif t == "boolean" then
    acc[#acc + 1] = v and "b1" or "b0"
  elseif t == "userdata" then
    acc[#acc + 1] = "u"
  else
    local keys = {}
    for k in next, v do
      keys[#keys + 1] = k
    end
    table.sort(keys, key_less)
    acc[#acc + 1] = "{"
    for _, k in ipairs(keys) do
      canon(k, acc)
      canon(rawget(v, k), acc)
    end
    acc[#acc + 1] = "}"
  end
end

local function capture(event)
  local records = event.records
  local canon_path = os.getenv("FLOOR_CANON")
  local acc = {}
  for i = 1, #records do
    local r = records[i]
    if part == "value" then
      r = r.value
    end
    value(r)
    emit("E")
    if canon_path then
      canon(r, acc)
      acc[#acc + 1] = "\n"
    end
  end
  if canon_path then
    local f = assert(io.open(canon_path, "wb"))
    f:write(table.concat(acc))
    f:close()
  end
  emit(pack("<c1I4", "Z", nseen)) -- the last 4 bytes: the strings to keep
  out:write(table.concat(chunks))
  out:close()
  return { records = #records, strings = nseen }
end

local opts
local schema = os.getenv("FLOOR_SCHEMA")
if schema then
  opts = { value = dofile(schema) }
end
router.kafka(capture, opts)
router.sqs(capture)
router.kinesis(capture)
router.dynamodb(capture)
