-- file: examples/hello/app/shout.lua
-- Uses a module that lives outside the task root: run it with LUA_PATH set.
local router = require "router"
local text = require "text" -- shared/text.lua, found through LUA_PATH

router.custom(function(event)
  return { shout = text.upper_words(event.name) }
end)
