/* runtime_loop: the Lambda invocation loop and its policy.
 *
 * Wires runtime_api (HTTP) to host (Lua): init (posting /init/error on a
 * load failure), then next -> invoke -> post, forever. The policy for a
 * failing platform lives here: /next failures are retried three times with
 * 100/200/400 ms backoff, a 500 from the API ends the process, a 413, 400 or
 * 403 on a post ends only that invocation, SIGTERM ends the process cleanly
 * (after the invocation in flight, if any). */
#ifndef LRT_RUNTIME_LOOP_H
#define LRT_RUNTIME_LOOP_H

#include "host.h"

/* Run the loop against the Runtime API at 'endpoint' (host:port). Returns
 * the process exit code (it only returns on a fatal condition or SIGTERM). */
int runtime_loop_run(const char *endpoint, const struct host_config *cfg);

/* The memory budget (heap.h) for the function size 'memory_size' (the
 * variable's text, read by memory_size_mb, a nonsense value replaced by the
 * default with one WARN line; NULL or empty: a local run, no cap, 0): what
 * is left after room for the runtime's own buffers (event body, response). */
size_t runtime_loop_memory_limit(const char *memory_size);

#endif
