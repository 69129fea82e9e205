/* runtime_modules: see runtime_modules.h. */
#include "runtime_modules.h"

#include <lauxlib.h>

#include "json_lua.h"
#include "kafka_schema.h"
#include "log_module.h"
#include "router.h"

void runtime_modules_preload(lua_State *L)
{
  static const luaL_Reg modules[] = {{"router", luaopen_router},
                                     {"json", luaopen_json},
                                     {"log", luaopen_log},
                                     {"lrt.kafka_schema", luaopen_kafka_schema},
                                     {NULL, NULL}};
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
  for (const luaL_Reg *m = modules; m->name; m++) {
    lua_pushcfunction(L, m->func);
    lua_setfield(L, -2, m->name);
  }
  lua_pop(L, 1); /* preload table */
}
