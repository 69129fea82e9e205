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
 * until interrupted. Knows host; nothing of HTTP. */
#ifndef LRT_LOCAL_INVOKE_H
#define LRT_LOCAL_INVOKE_H

#include "host.h"

/* A fresh random v4 UUID, the form of Lambda's request ids (also used by
 * lambda.invoke, lambda_module.c). */
void local_invoke_request_id(char out[37]);

/* Point file descriptor 1 at 'to_fd' (stderr for local invoke), so that
 * whatever a handler writes to stdout (print, log, io.write, a child process)
 * goes there. Returns a descriptor of the original stdout (for the
 * response), or -1 when it could not be done (then nothing changed).
 * local_invoke_restore_stdout() undoes it and closes that descriptor; -1 is
 * ignored. Both flush stdout first. */
int local_invoke_divert_stdout(int to_fd);
void local_invoke_restore_stdout(int fd);

/* Returns the process exit code. */
int local_invoke_run(const char *event_path, const struct host_config *cfg,
                     int watch);

#endif
