--- Helpers for Kafka records, as the runtime delivers them.
--
-- The runtime decodes each Kafka event in C into `event.records`, a flat
-- array of records whose `key` and `value` are Lua strings of bytes and whose
-- `headers` are `{ key = name, value = bytes }` in delivery order. These
-- helpers cover what most handlers then do: look up headers, decode JSON
-- values, group by topic, and report failed records back to Lambda as a
-- partial batch response (see docs/kafka.md).
--
--     local kafka = require "kafka"
--     router.kafka(function(event, context)
--       return kafka.process(event, function(record)
--         local order = assert(kafka.json(record))
--         ...
--       end, context)
--     end)
--
-- @module kafka

local json = require "json"
local schema = require "lrt.kafka_schema"

local error, getmetatable, ipairs, pcall, type =
  error, getmetatable, ipairs, pcall, type
local lower = string.lower

local M = { _VERSION = "1.0" }

-- Misuse (a wrong argument type) is the caller's bug: raise at the caller.
local function check_table(v, n, fname, what)
  if type(v) ~= "table" then
    error(("bad argument #%d to 'kafka.%s' (%s expected, got %s)"):format(
      n, fname, what, type(v)), 3)
  end
end

--- The value of the first header whose name matches `name`, ignoring case.
-- @tparam table record a record of `event.records`
-- @tparam string name the header name
-- @treturn ?string the header's bytes, or nil when the record has none such
function M.header(record, name)
  check_table(record, 1, "header", "record")
  if type(name) ~= "string" then
    error(("bad argument #2 to 'kafka.header' (string expected, got %s)")
      :format(type(name)), 2)
  end
  local headers = record.headers
  if headers == nil then return nil end
  local want = lower(name)
  for _, h in ipairs(headers) do
    local k = h.key
    -- The exact spelling first: cheaper, and the common case.
    if k == name or lower(k) == want then return h.value end
  end
  return nil
end

--- All headers as a table name -> value. Names keep their delivered
-- spelling; when a name repeats, the first occurrence wins (use
-- `record.headers` to see every one).
-- @tparam table record a record of `event.records`
-- @treturn table name -> bytes
function M.headers(record)
  check_table(record, 1, "headers", "record")
  local out = {}
  local headers = record.headers
  if headers == nil then return out end
  for _, h in ipairs(headers) do
    local k = h.key
    if out[k] == nil then out[k] = h.value end
  end
  return out
end

-- The text of an error object: json.decode raises tables from C
-- ({ type = ..., message = ... }) as well as strings.
local error_text = require("lrt_router_batch").error_text

--- The record's value decoded as JSON.
-- @tparam table record a record of `event.records`
-- @return the decoded value; on a missing value or invalid JSON,
--   `nil` and a message (the value itself never appears in it)
function M.json(record)
  check_table(record, 1, "json", "record")
  local value = record.value
  if value == nil then return nil, "record has no value" end
  local ok, decoded = pcall(json.decode, value)
  if not ok then return nil, error_text(decoded) end
  return decoded
end

--- A deserializer for Avro values or keys, from a schema file (JSON text,
-- `.avsc`), loaded now: pass it to `router.kafka(fn, { value = ... })`.
-- A missing or invalid schema file raises (an init error).
-- @tparam string path the schema file, relative to the task root
-- @tparam[opt] table opts `framing`: "auto" (default), "none", "confluent",
--   "glue" or "lambda"
-- @return the deserializer
M.avro = schema.avro

--- A deserializer for Protobuf values or keys, from a FileDescriptorSet
-- (`protoc --include_imports -o file.pb file.proto`) and the full name of
-- the message to decode, loaded now.
-- @tparam string path the descriptor set, relative to the task root
-- @tparam string message e.g. "shop.User"
-- @tparam[opt] table opts `framing`, as for `kafka.avro`
-- @return the deserializer
M.protobuf = schema.protobuf

--- The records grouped by topic: `{ [topic] = { record, ... } }`, each list
-- in delivery order.
-- @tparam table event the Kafka event
-- @treturn table topic -> array of records
function M.by_topic(event)
  check_table(event, 1, "by_topic", "event")
  local groups = {}
  for _, record in ipairs(event.records) do
    local topic = record.topic
    local list = groups[topic]
    if list == nil then
      groups[topic] = { record }
    else
      list[#list + 1] = record
    end
  end
  return groups
end

--- Call `fn(record, context)` for every record, each in a protected call,
-- and build the partial batch response Lambda expects from a Kafka event
-- source mapping with `FunctionResponseTypes: ["ReportBatchItemFailures"]`.
-- This is `router.process` for Kafka events (docs/events.md): one record's
-- error never stops the others (unless `opts.ordered`, which stops its
-- topic-partition); a record whose key or value did not decode
-- (`decode_error`, see kafka.avro) fails without running; each failure is
-- logged (at ERROR, with topic, partition, offset and the error) and
-- reported by the records map key it was delivered under and its offset.
-- `fn` always gets the invocation's context.
-- @tparam table event the Kafka event
-- @tparam function fn called as `fn(record, context)`
-- @tparam[opt] table opts `{ ordered = bool }`; a context table (the old
--   third argument) is still accepted
-- @treturn table `{ batchItemFailures = { { itemIdentifier = { partition =
--   "<topic>-<partition>", offset = n } }, ... } }`, the list encoding as
--   a JSON array (`[]` when every record succeeded)
function M.process(event, fn, opts)
  check_table(event, 1, "process", "event")
  if type(fn) ~= "function" then
    local mt = getmetatable(fn)
    if not (mt and mt.__call) then
      error(("bad argument #2 to 'kafka.process' (function expected, got %s)")
        :format(type(fn)), 2)
    end
  end
  return require("router").process(event, fn, opts)
end

return M
