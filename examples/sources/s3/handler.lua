-- file: examples/sources/s3/handler.lua
-- S3: keys arrive URL-decoded ("my photo.jpg", not "my+photo.jpg").
local router = require "router"

router.s3(function(event)
  local out = {}
  for i, r in ipairs(event.records) do
    out[i] = ("%s s3://%s/%s (%s bytes)"):format(r.event_name, r.bucket,
      r.key, tostring(r.size))
  end
  return out
end)
