-- The packaging tests' second task root: folders named lib/, lua/ and bin/,
-- which the runtime's zips once took for themselves, and a native C module
-- found on LUA_CPATH (tests/package/native/nativeadd.c, built by the test).
local router = require "router"
local greet = require "lib.greet"
local shout = require "lua.shout"
local helper = require "bin.helper"
local native = require "nativeadd"

router.kafka(function(event)
  return {
    greeting = greet.hello("lua"),
    shout = shout.up("quiet"),
    helper = helper.NAME,
    sum = native.add(#event.records, 40),
    replaced = native.gsub("a-b-c", "-", "+"),
    lua = native.version,
  }
end)
