-- A nested module: packaged at jobs/orders.lua, required as "jobs.orders".
local M = { VERSION = 1 }

function M.describe(record, order)
  return ("%s/%d/%d:%s"):format(record.topic, record.partition, record.offset,
                                tostring(order.id))
end

return M
