-- Keeps the first invocation's event and reads .raw in the second, for
-- test_events.py: the tree behind .raw is gone by then, so a first read
-- must be a clean error, not a read of freed memory; a .raw already read
-- during its invocation is plain Lua data and stays.
local router = require "router"

local kept
router.sqs(function(event)
  if kept == nil then
    kept = event
    return { first = event.records[1].message_id }
  end
  local ok, err = pcall(function() return kept.records[1].raw end)
  return { ok = ok, err = tostring(err), now = event.records[1].raw.messageId }
end)
