--- The API Gateway routes behind `router.apigateway(path, method, fn)`.
--
-- router.c makes one routes object per Lua state (`new`) on the first
-- registration, adds each route to it and installs `dispatch` as the
-- handler for API Gateway events (REST v1, HTTP API v2, Function URLs,
-- decoded by src/events/event_apigateway.c). The rules are the contract's: the
-- path matched is `event.route_path` (the stage already stripped), a
-- trailing slash is ignored, `{name}` matches one segment and `{name+}` the
-- rest (at least one), methods compare case-insensitively and "ANY"
-- matches all, the first registered match wins; no path match is a 404,
-- a path matched for other methods only a 405 with `Allow`. The handler's
-- return value becomes the response (see `response`). Internal: handlers
-- use `router.apigateway`.
-- @module lrt_router_http

local json = require "json"

local concat, error, ipairs, tostring, type = table.concat, error, ipairs,
  tostring, type
local byte, char, format, gsub, sub, upper = string.byte, string.char,
  string.format, string.gsub, string.sub, string.upper
local utf8_len = utf8.len

local M = {}

-- "/a/b/" -> { "a", "b" }; "/" -> {}. Empty inner segments are kept.
local function segments(path)
  if sub(path, -1) == "/" and #path > 1 then path = sub(path, 1, -2) end
  local out = {}
  if path == "/" or path == "" then return out end
  if sub(path, 1, 1) == "/" then path = sub(path, 2) end
  for seg in (path .. "/"):gmatch("([^/]*)/") do out[#out + 1] = seg end
  return out
end

local function percent_decode(s)
  return (gsub(s, "%%(%x%x)", function(h)
    return char(tonumber(h, 16))
  end))
end

-- Compile a route path into its parts: { literal = s } or { name = n,
-- greedy = bool }.
local function compile(path)
  if sub(path, 1, 1) ~= "/" then
    error(format("router.apigateway: path %q must start with '/'", path), 4)
  end
  local parts = {}
  local segs = segments(path)
  for i, seg in ipairs(segs) do
    local name, plus = seg:match("^{([%w_%-%.]+)(%+?)}$")
    if name then
      if plus == "+" and i ~= #segs then
        error(format("router.apigateway: %q: {%s+} must be the last segment",
          path, name), 4)
      end
      parts[i] = { name = name, greedy = plus == "+" }
    elseif seg:find("[{}]") then
      error(format("router.apigateway: %q: bad segment %q (use {name} or "
        .. "{name+})", path, seg), 4)
    else
      parts[i] = { literal = seg }
    end
  end
  return parts
end

-- Path parameters when 'parts' matches 'segs', else nil.
local function match(parts, segs)
  local params = {}
  for i, part in ipairs(parts) do
    local seg = segs[i]
    if seg == nil then return nil end
    if part.greedy then
      params[part.name] = percent_decode(concat(segs, "/", i))
      return params
    elseif part.name then
      params[part.name] = percent_decode(seg)
    elseif part.literal ~= seg then
      return nil
    end
  end
  if #segs ~= #parts then return nil end
  return params
end

local b64chars =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

--- Standard base64 with padding.
-- @tparam string s bytes
-- @treturn string
function M.base64(s)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = byte(s, i, i + 2)
    local n = a * 65536 + (b or 0) * 256 + (c or 0)
    local c1 = n // 262144 % 64 + 1
    local c2 = n // 4096 % 64 + 1
    local c3 = n // 64 % 64 + 1
    local c4 = n % 64 + 1
    out[#out + 1] = sub(b64chars, c1, c1) .. sub(b64chars, c2, c2)
      .. (b and sub(b64chars, c3, c3) or "=")
      .. (c and sub(b64chars, c4, c4) or "=")
  end
  return concat(out)
end

--- The Lambda proxy response for a handler's return value: a table with
-- statusCode as it is; nil a 204; a string a 200 text/plain body (bytes
-- that are not UTF-8 go base64-encoded, as application/octet-stream);
-- anything else a 200 application/json body.
function M.response(v)
  if v == nil then return { statusCode = 204 } end
  if type(v) == "table" and v.statusCode ~= nil then return v end
  if type(v) == "string" then
    if utf8_len(v) == nil then
      return { statusCode = 200, isBase64Encoded = true,
        headers = { ["content-type"] = "application/octet-stream" },
        body = M.base64(v) }
    end
    return { statusCode = 200, headers = { ["content-type"] = "text/plain" },
      body = v }
  end
  return { statusCode = 200,
    headers = { ["content-type"] = "application/json" },
    body = json.encode(v) }
end

local function not_found()
  return { statusCode = 404,
    headers = { ["content-type"] = "application/json" },
    body = '{"message":"Not Found"}' }
end

local function not_allowed(allow)
  return { statusCode = 405,
    headers = { ["content-type"] = "application/json",
      Allow = concat(allow, ", ") },
    body = '{"message":"Method Not Allowed"}' }
end

--- A new, empty set of routes.
function M.new()
  local routes = {}
  local seen = {}
  local self = {}

  function self.add(path, method, fn)
    local parts = compile(path)
    local m = upper(method)
    local key = m .. " /" .. concat(segments(path), "/")
    if seen[key] then
      error(format("router.apigateway: %s %s is already registered", m, path),
        3)
    end
    seen[key] = true
    routes[#routes + 1] = { parts = parts, method = m, fn = fn }
  end

  function self.dispatch(event, context)
    local segs = segments(event.route_path or event.path or "/")
    local method = upper(tostring(event.method))
    local allow, allowed = {}, {}
    for _, r in ipairs(routes) do
      local params = match(r.parts, segs)
      if params then
        if r.method == "ANY" or r.method == method then
          event.path_params = params
          return M.response(r.fn(event, context))
        end
        if not allowed[r.method] then
          allowed[r.method] = true
          allow[#allow + 1] = r.method
        end
      end
    end
    if #allow > 0 then return not_allowed(allow) end
    return not_found()
  end

  return self
end

return M
