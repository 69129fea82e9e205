# The lean build's dependencies (-DLRT_LEAN=ON): the static libcurl, cJSON,
# Lua, avro-c (with jansson) and zlib that scripts/lean-deps.sh lays out
# under LRT_LEAN_PREFIX, as the one interface target lrt_deps the normal
# build gets from pkg-config.
# lrt_lean_export_lua_api(TARGET) makes an executable carry the whole Lua
# library and export its API, so native Lua modules (LUA_CPATH), which
# resolve lua_* against the program that loads them, keep working.
# Why: docs/architecture.md, "The lean build".

if(NOT LRT_LEAN_PREFIX OR NOT EXISTS "${LRT_LEAN_PREFIX}/lib/libcurl.a")
  message(FATAL_ERROR "LRT_LEAN needs -DLRT_LEAN_PREFIX=DIR, the prefix "
                      "printed by scripts/lean-deps.sh ARCH (no libcurl.a in "
                      "'${LRT_LEAN_PREFIX}')")
endif()

foreach(dep curl cjson lua5.4 avro jansson z)
  add_library(lrt_lean_${dep} STATIC IMPORTED)
  set_target_properties(lrt_lean_${dep} PROPERTIES
      IMPORTED_LOCATION "${LRT_LEAN_PREFIX}/lib/lib${dep}.a")
endforeach()

# One interface target per dependency, as the normal build has, so each
# layer links only what it uses (CMakeLists.txt, lrt_layer).
foreach(dep lua cjson curl avro zlib)
  add_library(lrt_dep_${dep} INTERFACE)
  target_include_directories(lrt_dep_${dep} SYSTEM INTERFACE
      "${LRT_LEAN_PREFIX}/include" "${LRT_LEAN_PREFIX}/include/lua5.4")
endforeach()
target_link_libraries(lrt_dep_lua INTERFACE lrt_lean_lua5.4 ${CMAKE_DL_LIBS} m)
target_link_libraries(lrt_dep_cjson INTERFACE lrt_lean_cjson)
# CURL_STATICLIB: curl.h then declares no import attributes for the archive.
target_compile_definitions(lrt_dep_curl INTERFACE CURL_STATICLIB)
target_link_libraries(lrt_dep_curl INTERFACE lrt_lean_curl)
target_link_libraries(lrt_dep_avro INTERFACE lrt_lean_avro lrt_lean_jansson)
target_link_libraries(lrt_dep_zlib INTERFACE lrt_lean_z)

function(lrt_lean_export_lua_api target)
  # Every member of liblua5.4.a, not only those the runtime calls: a module
  # may use any of the API. Exported are lua_*, luaL_* and luaopen_* alone
  # (lean_exports.list), never curl's or cJSON's symbols, which would
  # otherwise interpose on a module's own shared libcurl or libcjson.
  target_link_options(${target} PRIVATE
      "LINKER:--whole-archive,${LRT_LEAN_PREFIX}/lib/liblua5.4.a,--no-whole-archive"
      "LINKER:--dynamic-list=${PROJECT_SOURCE_DIR}/cmake/lean_exports.list")
endfunction()
