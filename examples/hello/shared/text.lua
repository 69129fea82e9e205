-- file: examples/hello/shared/text.lua
local M = {}

function M.upper_words(s)
  return (tostring(s):gsub("%a+", string.upper))
end

return M
