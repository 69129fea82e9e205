--- router.process: partial batch responses for Kafka, SQS, Kinesis and
-- DynamoDB events (see docs/events.md, "Partial batches").
--
-- Calls `fn(record, context)` for every record, each in a protected call,
-- and returns `{ batchItemFailures = { { itemIdentifier = ... }, ... } }`
-- with the identifier each event source mapping wants. A record with
-- `decode_error` fails without running. With `ordered` (the default for
-- Kinesis, DynamoDB and FIFO queues) the first failure in a partition stops
-- it: its later records are reported failed, unrun, because Lambda
-- redelivers them anyway and running them now would only duplicate work and
-- break order. The C side (router.c) passes the invocation's context as
-- the fourth argument. This module is internal: handlers use
-- `router.process` or `kafka.process`.
-- @module lrt_router_batch

local json = require "json"
local log = require "log"

local error, getmetatable, ipairs, pcall, tostring, type =
  error, getmetatable, ipairs, pcall, tostring, type
local format, sub = string.format, string.sub

local M = {}

--- The text of an error object: the runtime's own errors (and json.decode's)
-- are `{ type = ..., message = ... }` tables, a handler's may be anything.
-- Shared with the kafka module.
local function error_text(err)
  if type(err) == "table" and err.message ~= nil then
    return tostring(err.message)
  end
  return tostring(err)
end
M.error_text = error_text

local function callable(v)
  if type(v) == "function" then return true end
  local mt = getmetatable(v)
  return type(mt) == "table" and mt.__call ~= nil
end

-- A context table (what kafka.process took third before opts existed).
local function is_context(v)
  return type(v) == "table" and (v.aws_request_id ~= nil
    or v.get_remaining_time_in_millis ~= nil)
end

local function is_fifo(records)
  local first = records[1]
  local arn = first and first.event_source_arn
  return type(arn) == "string" and sub(arn, -5) == ".fifo"
end

-- Per source: the identifier Lambda wants, the partition an ordered run
-- stops, and the words a failure is logged with.
local sources = {
  kafka = {
    id = function(r)
      return { partition = r.topic_partition, offset = r.offset }
    end,
    partition = function(r) return r.topic_partition end,
    describe = function(r)
      return format("Kafka record failed (topic %s, partition %s, offset %s)",
        tostring(r.topic), tostring(r.partition), tostring(r.offset)), {
        topic = r.topic, partition = r.partition, offset = r.offset,
        topic_partition = r.topic_partition,
      }
    end,
  },
  sqs = {
    id = function(r) return r.message_id end,
    partition = function(r)
      local a = r.attributes
      return type(a) == "table" and a.MessageGroupId or ""
    end,
    describe = function(r)
      return format("SQS message failed (message_id %s)",
        tostring(r.message_id)), { message_id = r.message_id }
    end,
  },
  kinesis = {
    id = function(r) return r.sequence_number end,
    partition = function() return "" end,
    describe = function(r)
      return format("Kinesis record failed (sequence_number %s)",
        tostring(r.sequence_number)), { sequence_number = r.sequence_number }
    end,
  },
  dynamodb = {
    id = function(r) return r.sequence_number end,
    partition = function() return "" end,
    describe = function(r)
      return format("DynamoDB record failed (sequence_number %s)",
        tostring(r.sequence_number)), { sequence_number = r.sequence_number }
    end,
  },
}

local kinds = {
  ["aws:kafka"] = "kafka", SelfManagedKafka = "kafka",
  ["aws:SelfManagedKafka"] = "kafka", ["aws:sqs"] = "sqs",
  ["aws:kinesis"] = "kinesis", ["aws:dynamodb"] = "dynamodb",
}

local function fail(level, fname, msg)
  error(format("%s: %s", fname, msg), level)
end

--- Run `fn` over the event's records; see the module comment.
-- @tparam table event a Kafka, SQS, Kinesis or DynamoDB event as decoded
-- @tparam function fn called as `fn(record, context)`
-- @tparam[opt] table opts `{ ordered = bool }` (a context table here is
--   accepted and used as the context, for kafka.process's old form)
-- @param ctx the invocation's context (from router.c)
-- @tparam[opt] string fname the caller's name, for messages
-- @treturn table the partial batch response
function M.process(event, fn, opts, ctx, fname)
  fname = fname or "router.process"
  if type(event) ~= "table" then
    fail(3, fname, "bad argument #1 (event table expected, got "
      .. type(event) .. ")")
  end
  if not callable(fn) then
    fail(3, fname, "bad argument #2 (function expected, got "
      .. type(fn) .. ")")
  end
  if is_context(opts) then
    ctx = ctx or opts
    opts = nil
  elseif opts ~= nil and type(opts) ~= "table" then
    fail(3, fname, "bad argument #3 (options table expected, got "
      .. type(opts) .. ")")
  end
  local kind = kinds[event.event_source]
  local src = sources[kind]
  if src == nil then
    fail(3, fname, format("not a Kafka, SQS, Kinesis or DynamoDB event "
      .. "(event_source %s)", tostring(event.event_source)))
  end
  local records = event.records
  if type(records) ~= "table" then
    fail(3, fname, "event.records is not a table")
  end
  local ordered = opts and opts.ordered
  if ordered == nil then
    ordered = kind == "kinesis" or kind == "dynamodb"
      or (kind == "sqs" and is_fifo(records))
  end
  local failures = {}
  local stopped = {}
  for _, record in ipairs(records) do
    local part = ordered and src.partition(record)
    local message
    if ordered and stopped[part] then
      message = "not run: an earlier record of its partition failed"
    elseif record.decode_error ~= nil then
      message = "not run: decode error: " .. tostring(record.decode_error)
    else
      local ok, err = pcall(fn, record, ctx)
      if not ok then message = error_text(err) end
    end
    if message ~= nil then
      if ordered then stopped[part] = true end
      local text, fields = src.describe(record)
      -- In the text too: plain-text log lines do not show the fields.
      log.error(text .. ": " .. message, fields)
      failures[#failures + 1] = { itemIdentifier = src.id(record) }
    end
  end
  return { batchItemFailures = json.array(failures) }
end

return M
