/* local_invoke: `bootstrap --event FILE [--watch]`, one invocation with no
 * network, for development and tests.
 *
 * Reads the event (a file or '-' for stdin; a UTF-8 byte order mark is
 * skipped), builds the host, invokes it with a synthetic context and prints
 * the response (exit 0) or the error object (exit 1) as the one line of
 * stdout: everything else the run writes to stdout (print, log, io.write,
 * metrics) goes to stderr. Usage and init errors go to stderr with exit 2.
 * With --watch it
 * runs again whenever a script under the root (or the event file) changes,
 * until interrupted. Knows lua_host; nothing of HTTP. */
#ifndef LRT_LOCAL_INVOKE_H
#define LRT_LOCAL_INVOKE_H

#include "lua_host.h"

/* Returns the process exit code. */
int local_invoke_run(const char *event_path, const struct lua_host_config *cfg,
                     int watch);

#endif
