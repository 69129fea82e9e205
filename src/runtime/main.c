/* main: reads the command line and the environment, then hands over to the
 * Lambda loop (runtime_loop) or to a local invocation (local_invoke). No Lua,
 * no HTTP here: only wiring. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lua.h>

#include "exec.h"
#include "host.h"
#include "local_invoke.h"
#include "log.h"
#include "runtime_loop.h"

#define LRT_VERSION "0.1.0"
/* The runtime's folder in the zips (scripts/package.sh). */
#define MAIN_PACKAGE_DIR "lua-kafka-runtime"

static void usage(FILE *out)
{
  fputs("usage: bootstrap [HANDLER]            run the Lambda loop "
        "(AWS_LAMBDA_RUNTIME_API must be set;\n"
        "                                      HANDLER when _HANDLER is "
        "not set)\n"
        "       bootstrap --event FILE [--handler NAME] [--root DIR] "
        "[--watch]\n"
        "                                      one local invocation; FILE "
        "may be - for stdin\n"
        "       bootstrap --exec FILE [ARG...]\n"
        "                                      run a Lua script as `lua FILE "
        "ARG...` does, with\n"
        "                                      the runtime's modules (e.g. "
        "/usr/bin/busted spec/)\n"
        "\n"
        "  --event FILE    the event JSON to invoke the handler with\n"
        "  --handler NAME  handler module (default: $_HANDLER, else "
        "'handler')\n"
        "  --root DIR      task root holding the scripts (default: "
        "$LAMBDA_TASK_ROOT, else .)\n"
        "  --watch         re-run whenever a script under the root changes\n"
        "  --help, --version\n",
        out);
}

/* A malloc'd "<a><b>", or NULL. */
static char *join_path(const char *a, const char *b)
{
  size_t len = strlen(a) + strlen(b) + 1;
  char *p = malloc(len);
  if (p)
    snprintf(p, len, "%s%s", a, b);
  return p;
}

/* The runtime's own lua/ folder sits beside the binary, in the build tree
 * as in the zips. The binary is found from argv[0] when it is a path: when
 * the zips start it through their bundled dynamic loader, /proc/self/exe is
 * the loader, but argv[0] is still the binary. Returns a malloc'd path or
 * NULL. */
static char *runtime_lua_dir(const char *argv0)
{
  char exe[PATH_MAX];
  if (!argv0 || !strchr(argv0, '/') || !realpath(argv0, exe)) {
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0)
      return NULL;
    exe[n] = '\0';
  }
  char *slash = strrchr(exe, '/');
  if (!slash)
    return NULL;
  *slash = '\0';
  /* In the zips the binary is lua-kafka-runtime/bootstrap, reached through
   * a top-level symlink; a tool that re-zips following symlinks leaves a
   * copy at the top instead, whose runtime folder is then beside it. */
  char *dir = join_path(exe, "/" MAIN_PACKAGE_DIR "/lua");
  struct stat st;
  if (dir && stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
    return dir;
  free(dir);
  return join_path(exe, "/lua");
}

/* The Lambda loop's handler: --handler, else _HANDLER, else the first
 * argument (`bootstrap handler`, the RIE's and container images' command
 * form), else "handler". _HANDLER is what Lambda sets, so it wins over the
 * argument, which is then logged as ignored. */
static const char *loop_handler(const char *flag, const char *positional)
{
  const char *env = getenv("_HANDLER");
  if (flag)
    return flag;
  if (env && *env) {
    if (positional)
      log_write(LOG_WARN,
                "handler argument '%s' ignored: _HANDLER is set to '%s'",
                positional, env);
    return env;
  }
  return positional ? positional : "handler";
}

int main(int argc, char **argv)
{
  const char *event = NULL, *handler = NULL, *root = NULL;
  const char *positional = NULL;
  int watch = 0;
  if (argc > 1 && strcmp(argv[1], "--exec") == 0) {
    /* Everything after FILE is the script's, as with `lua FILE ARG...`. */
    if (argc < 3) {
      fprintf(stderr, "bootstrap: --exec needs a Lua script (FILE, or - "
                      "for stdin)\n");
      usage(stderr);
      return 2;
    }
    log_init_from_env();
    char *exec_lua_dir = runtime_lua_dir(argv[0]);
    int exec_code = exec_run(argc, argv, 2, exec_lua_dir);
    free(exec_lua_dir);
    return exec_code;
  }
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    int has_value = i + 1 < argc;
    if (i == 1 && a[0] != '-' && *a) {
      positional = a; /* the handler, for the Lambda loop only */
    } else if (strcmp(a, "--event") == 0 && has_value) {
      event = argv[++i];
    } else if (strcmp(a, "--handler") == 0 && has_value) {
      handler = argv[++i];
    } else if (strcmp(a, "--root") == 0 && has_value) {
      root = argv[++i];
    } else if (strcmp(a, "--watch") == 0) {
      watch = 1;
    } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(stdout);
      return 0;
    } else if (strcmp(a, "--version") == 0) {
      printf("bootstrap (lua-kafka-runtime) %s, %s\n", LRT_VERSION,
             LUA_RELEASE);
      return 0;
    } else {
      fprintf(stderr, "bootstrap: unknown or incomplete argument '%s'\n", a);
      usage(stderr);
      return 2;
    }
  }
  if (watch && !event) {
    fprintf(stderr, "bootstrap: --watch needs --event FILE\n");
    return 2;
  }
  if (positional && event) {
    fprintf(stderr,
            "bootstrap: unknown argument '%s' (a local invocation "
            "takes the handler as --handler NAME)\n",
            positional);
    usage(stderr);
    return 2;
  }

  log_init_from_env();
  if (event) {
    if (!handler)
      handler = getenv("_HANDLER");
    if (!handler || !*handler)
      handler = "handler";
  } else {
    handler = loop_handler(handler, positional);
  }
  if (!root)
    root = getenv("LAMBDA_TASK_ROOT");
  if (!root || !*root)
    root = ".";
  /* One that does not resolve is passed on as given: host refuses it
   * as an init error, which the loop posts to /init/error. */
  char root_abs[PATH_MAX];
  if (!realpath(root, root_abs))
    snprintf(root_abs, sizeof root_abs, "%s", root);

  const char *mem = getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE");
  const char *reload = getenv("LUA_HOT_RELOAD");
  char *lua_dir = runtime_lua_dir(argv[0]);
  struct host_config cfg = {
      .task_root = root_abs,
      .runtime_lua_dir = lua_dir,
      .handler = handler,
      .memory_limit = runtime_loop_memory_limit(mem),
      .hot_reload = reload && strcmp(reload, "1") == 0,
      .deadline_guard = 1,
  };

  int code;
  if (event) {
    code = local_invoke_run(event, &cfg, watch);
  } else {
    const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
    if (!api || !*api) {
      log_write(LOG_FATAL, "AWS_LAMBDA_RUNTIME_API is not set; for a local "
                           "run use --event FILE");
      usage(stderr);
      code = 2;
    } else {
      code = runtime_loop_run(api, &cfg);
    }
  }
  free(lua_dir);
  return code;
}
