/* test_lua_equal: a Lua deep-equality function for the tests that compare
 * two decoders' tables (kafka_scan against event_kafka, the records
 * scanners against the tree path), written once.
 *
 * TEST_LUA_DEEP_EQUAL is Lua source defining the local function
 * eq(a, b, path): true when a and b are equal values, tables compared
 * member by member and numbers by value and by math.type (an integer is not
 * a float); else false and the path of the first difference. When the
 * global named TEST_LUA_ARRAY_MT holds json.array's metatable, a table
 * marked with it equals only a table marked so (an empty sequence encodes
 * as [] only then). The test appends what it does with eq. */
#ifndef LRT_TEST_LUA_EQUAL_H
#define LRT_TEST_LUA_EQUAL_H

#define TEST_LUA_ARRAY_MT "test_array_mt"

#define TEST_LUA_DEEP_EQUAL                                                    \
  "local function eq(a, b, path)\n"                                            \
  "  if type(a) ~= type(b) then return false, path .. ': ' .. type(a) .. "     \
  "' vs ' .. type(b) end\n"                                                    \
  "  if type(a) ~= 'table' then\n"                                             \
  "    if a == b and math.type(a) == math.type(b) then return true end\n"      \
  "    return false, path .. ': ' .. tostring(a) .. ' vs ' .. tostring(b)\n"   \
  "  end\n"                                                                    \
  "  local mt = test_array_mt\n"                                               \
  "  if mt and (getmetatable(a) == mt) ~= (getmetatable(b) == mt) then\n"      \
  "    return false, path .. ': json.array mark'\n"                            \
  "  end\n"                                                                    \
  "  for k, v in pairs(a) do\n"                                                \
  "    local ok, why = eq(v, b[k], path .. '.' .. tostring(k))\n"              \
  "    if not ok then return false, why end\n"                                 \
  "  end\n"                                                                    \
  "  for k in pairs(b) do\n"                                                   \
  "    if a[k] == nil then return false, path .. '.' .. tostring(k) .. "       \
  "' missing' end\n"                                                           \
  "  end\n"                                                                    \
  "  return true\n"                                                            \
  "end\n"

#endif
