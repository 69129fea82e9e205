--- CloudWatch metrics from a handler, written as Embedded Metric Format.
--
-- local metrics = require "metrics"
-- metrics.add(name, value [, unit])   -- unit one of CloudWatch's, default "Count"
-- metrics.dimension(name, value)      -- a dimension of every metric of the invocation
-- metrics.property(name, value)       -- a member of the record, searchable in Logs Insights
--
-- The runtime calls metrics._flush(timestamp_ms) at the end of each
-- invocation (src/host/metrics.c), after a handler error too: it returns the
-- EMF records, one JSON text each, and clears what was added. Nothing is
-- returned for an invocation that added no metric. As with Powertools, the
-- namespace is POWERTOOLS_METRICS_NAMESPACE, else the function name, and
-- POWERTOOLS_SERVICE_NAME, when set, is the `service` dimension.
--
-- Limits from the EMF specification, checked when a value is added so that
-- a record CloudWatch would reject is never written: names of 1 to 255
-- bytes, not all spaces, at most 30 dimensions in the set (service
-- included), dimensions in printable ASCII, values finite numbers, a
-- namespace of CloudWatch's characters (checked at the flush); more than
-- 100 metrics, or more than 100 values of one metric, are spread over
-- several records. The same name cannot be a metric, a
-- dimension and a property at once: all three are members of the record.
-- @module metrics
local json = require "json"

local M = { _VERSION = "0.1.0" }

local type, tostring, pairs, ipairs, error = type, tostring, pairs, ipairs, error
local getenv = os.getenv
local huge = math.huge

local MAX_NAME = 255
local MAX_DIMENSION_VALUE = 1024
local MAX_DIMENSIONS = 30
local MAX_METRICS = 100 -- metric definitions per record
local MAX_VALUES = 100  -- values of one metric per record

--- CloudWatch's units (MetricDatum.Unit).
M.units = {
  "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes",
  "Gigabytes", "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits",
  "Terabits", "Percent", "Count", "Bytes/Second", "Kilobytes/Second",
  "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second",
  "Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second",
  "Count/Second", "None",
}
local UNIT = {}
for _, u in ipairs(M.units) do UNIT[u] = true end

-- What the invocation added so far.
local metrics, metric_order = {}, {}  -- name -> { unit, values }
local dimensions, dimension_order = {}, {}
local properties = {}

local function check_name(what, name)
  if type(name) ~= "string" then
    error(("metrics.%s: name must be a string, not %s"):format(what, type(name)), 3)
  end
  if #name < 1 or #name > MAX_NAME then
    error(("metrics.%s: name must be 1 to %d bytes, got %d"):format(what, MAX_NAME, #name), 3)
  end
  if not name:find("%S") then
    error(("metrics.%s: name must hold a character that is not a space"):format(what), 3)
  end
  if name == "_aws" then
    error(("metrics.%s: the name _aws is EMF's own"):format(what), 3)
  end
end

-- CloudWatch takes dimension names and values of printable ASCII only.
local function check_ascii(what, text)
  if text:find("[^\32-\126]") then
    error(("metrics.dimension: %s %q holds a byte that is not printable ASCII, "
      .. "which CloudWatch refuses in dimensions"):format(what, text), 3)
  end
end

local function service()
  local s = getenv("POWERTOOLS_SERVICE_NAME")
  if s and s ~= "" then return s:sub(1, MAX_DIMENSION_VALUE) end
  return nil
end

-- A name is one member of the record: a metric, a dimension or a property
-- (POWERTOOLS_SERVICE_NAME makes "service" a dimension).
local function check_free(what, name, mine)
  local taken = (mine ~= "metric" and metrics[name] and "a metric")
    or (mine ~= "dimension" and dimensions[name] and "a dimension")
    or (mine ~= "property" and properties[name] ~= nil and "a property")
    or (mine ~= "dimension" and name == "service" and service()
        and "the service dimension (POWERTOOLS_SERVICE_NAME)")
  if taken then
    error(("metrics.%s: %q is already %s of this invocation"):format(what, name, taken), 3)
  end
end

--- Add a value to the metric `name` (a metric added several times gets all
-- its values). `unit` defaults to "Count".
function M.add(name, value, unit)
  check_name("add", name)
  if type(value) ~= "number" or value ~= value or value == huge or value == -huge then
    error(("metrics.add: value of %q must be a finite number, not %s"):format(
      name, type(value) == "number" and tostring(value) or type(value)), 2)
  end
  if unit == nil then unit = "Count" end
  if not UNIT[unit] then
    error(("metrics.add: unknown unit %q for %q (one of CloudWatch's: %s)"):format(
      tostring(unit), name, table.concat(M.units, ", ")), 2)
  end
  check_free("add", name, "metric")
  local m = metrics[name]
  if not m then
    m = { unit = unit, values = {} }
    metrics[name] = m
    metric_order[#metric_order + 1] = name
  elseif m.unit ~= unit then
    error(("metrics.add: %q was added as %s, now as %s"):format(name, m.unit, unit), 2)
  end
  m.values[#m.values + 1] = value
end

--- Set a dimension of every metric of this invocation.
function M.dimension(name, value)
  check_name("dimension", name)
  if name:sub(1, 1) == ":" then
    error("metrics.dimension: a dimension name cannot start with ':'", 2)
  end
  if type(value) == "number" then value = tostring(value) end
  if type(value) ~= "string" or #value < 1 or #value > MAX_DIMENSION_VALUE then
    error(("metrics.dimension: value of %q must be a string of 1 to %d bytes"):format(
      name, MAX_DIMENSION_VALUE), 2)
  end
  check_ascii("name", name)
  check_ascii("value of " .. name, value)
  if not value:find("%S") then
    error(("metrics.dimension: value of %q must hold a character that is not a space"):format(
      name), 2)
  end
  check_free("dimension", name, "dimension")
  if not dimensions[name] then
    local count = #dimension_order + 1
    if service() and name ~= "service" then count = count + 1 end
    if count > MAX_DIMENSIONS then
      error(("metrics.dimension: at most %d dimensions (EMF), service included"):format(
        MAX_DIMENSIONS), 2)
    end
    dimension_order[#dimension_order + 1] = name
  end
  dimensions[name] = value
end

--- Add a member to the record that is not a metric: searchable in Logs
-- Insights, not graphed. Any JSON-encodable value.
function M.property(name, value)
  check_name("property", name)
  if value == nil then
    error(("metrics.property: value of %q is nil"):format(name), 2)
  end
  local ok, err = pcall(json.encode, value)
  if not ok then
    error(("metrics.property: value of %q: %s"):format(name, err), 2)
  end
  check_free("property", name, "property")
  properties[name] = value
end

--- Forget what was added (the runtime does this at every flush).
function M.clear()
  metrics, metric_order = {}, {}
  dimensions, dimension_order = {}, {}
  properties = {}
end

-- CloudWatch's rule for namespaces: 1 to 255 of these characters, and not
-- AWS's own "AWS/" prefix. A bad one is an error at the flush (logged by the
-- runtime): CloudWatch would drop the records without a word.
local function namespace()
  local ns = getenv("POWERTOOLS_METRICS_NAMESPACE")
  if not ns or ns == "" then ns = getenv("AWS_LAMBDA_FUNCTION_NAME") end
  if not ns or ns == "" then ns = "local-function" end
  if #ns > MAX_NAME or not ns:find("^[%w%.%-_/#: ]+$") or ns:find("^AWS/") then
    error(("metrics: namespace %q is not one CloudWatch takes (1 to %d letters, "
      .. "digits and . - _ / # : or space, not starting with AWS/)"):format(ns, MAX_NAME), 0)
  end
  return ns
end

--- The EMF records of what was added, as JSON texts; clears. For the
-- runtime's end of invocation (src/host/metrics.c).
function M._flush(timestamp_ms)
  -- Taken and cleared first: a flush that fails (a bad namespace, no memory
  -- left) must not carry this invocation's metrics into the next one.
  local added, order = metrics, metric_order
  local dims_set, dims_order, props = dimensions, dimension_order, properties
  M.clear()
  if #order == 0 then
    return nil
  end
  local ns = namespace()
  local base = {}
  for name, value in pairs(props) do base[name] = value end
  local dims = {}
  local svc = service()
  if svc and not dims_set.service then
    base.service = svc
    dims[#dims + 1] = "service"
  end
  for _, name in ipairs(dims_order) do
    base[name] = dims_set[name]
    dims[#dims + 1] = name
  end

  -- Chunk c of a metric holds its values 100c+1 .. 100c+100; a record
  -- holds one chunk of at most 100 metrics.
  local records = {}
  local chunk = 0
  while true do
    local names = {}
    for _, name in ipairs(order) do
      if #added[name].values > chunk * MAX_VALUES then names[#names + 1] = name end
    end
    if #names == 0 then break end
    for first = 1, #names, MAX_METRICS do
      local record, defs = {}, {}
      for k, v in pairs(base) do record[k] = v end
      for i = first, math.min(first + MAX_METRICS - 1, #names) do
        local name = names[i]
        local m = added[name]
        local values = {}
        for j = chunk * MAX_VALUES + 1, math.min((chunk + 1) * MAX_VALUES, #m.values) do
          values[#values + 1] = m.values[j]
        end
        record[name] = #values == 1 and values[1] or values
        defs[#defs + 1] = { Name = name, Unit = m.unit }
      end
      record._aws = {
        Timestamp = timestamp_ms,
        CloudWatchMetrics = { {
          Namespace = ns,
          Dimensions = { json.array(dims) },
          Metrics = defs,
        } },
      }
      records[#records + 1] = json.encode(record)
    end
    chunk = chunk + 1
  end
  return records
end

return M
