/* script_watch: one change detector for hot reload and --watch. See
 * script_watch.h. */
#include "script_watch.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* How deep add_tree descends: a symlink loop ends here. */
#define SCRIPT_WATCH_MAX_DEPTH 8

struct stamp {
  char *path;
  long long mtime_ns; /* -1: missing */
  long long size;
  unsigned long long ino;
};

struct script_watch {
  struct stamp *stamps;
  size_t n, cap;
};

/* A missing file gets mtime -1, so its return counts as a change. */
static struct stamp stamp_of(const char *path)
{
  struct stamp s = {NULL, -1, -1, 0};
  struct stat st;
  if (stat(path, &st) != 0)
    return s;
  s.mtime_ns = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
  s.size = (long long)st.st_size;
  s.ino = (unsigned long long)st.st_ino;
  return s;
}

static int stamp_differs(const struct stamp *a, const struct stamp *b)
{
  return a->mtime_ns != b->mtime_ns || a->size != b->size || a->ino != b->ino;
}

struct script_watch *script_watch_new(void)
{
  return calloc(1, sizeof(struct script_watch));
}

void script_watch_free(struct script_watch *w)
{
  if (!w)
    return;
  for (size_t i = 0; i < w->n; i++)
    free(w->stamps[i].path);
  free(w->stamps);
  free(w);
}

static int watching(const struct script_watch *w, const char *path)
{
  for (size_t i = 0; i < w->n; i++)
    if (strcmp(w->stamps[i].path, path) == 0)
      return 1;
  return 0;
}

/* Append 's' (its path already owned by the watch's caller). */
static int push_stamp(struct script_watch *w, struct stamp s)
{
  if (w->n == w->cap) {
    size_t cap = w->cap ? w->cap * 2 : 16;
    struct stamp *grown = realloc(w->stamps, cap * sizeof(*grown));
    if (!grown)
      return -1;
    w->stamps = grown;
    w->cap = cap;
  }
  w->stamps[w->n++] = s;
  return 0;
}

int script_watch_add(struct script_watch *w, const char *path)
{
  if (watching(w, path))
    return 0;
  struct stamp s = stamp_of(path);
  s.path = strdup(path);
  if (!s.path || push_stamp(w, s) != 0) {
    free(s.path);
    return -1;
  }
  return 0;
}

static int has_suffix(const char *name, const char *suffix)
{
  size_t n = strlen(name), k = strlen(suffix);
  return n >= k && strcmp(name + n - k, suffix) == 0;
}

static int add_tree(struct script_watch *w, const char *dir, const char *suffix,
                    int depth)
{
  if (script_watch_add(w, dir) != 0)
    return -1;
  DIR *d = depth < SCRIPT_WATCH_MAX_DEPTH ? opendir(dir) : NULL;
  if (!d)
    return 0;
  int rc = 0;
  struct dirent *e;
  char path[4096];
  while (rc == 0 && (e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    int n = snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
    struct stat st;
    if (n < 0 || (size_t)n >= sizeof(path) || stat(path, &st) != 0)
      continue;
    if (S_ISDIR(st.st_mode))
      rc = add_tree(w, path, suffix, depth + 1);
    else if (has_suffix(e->d_name, suffix))
      rc = script_watch_add(w, path);
  }
  closedir(d);
  return rc;
}

int script_watch_add_tree(struct script_watch *w, const char *dir,
                          const char *suffix)
{
  return add_tree(w, dir, suffix, 0);
}

int script_watch_changed(const struct script_watch *w)
{
  for (size_t i = 0; i < w->n; i++) {
    struct stamp now = stamp_of(w->stamps[i].path);
    if (stamp_differs(&now, &w->stamps[i]))
      return 1;
  }
  return 0;
}

void script_watch_restamp(struct script_watch *w)
{
  for (size_t i = 0; i < w->n; i++) {
    struct stamp now = stamp_of(w->stamps[i].path);
    now.path = w->stamps[i].path;
    w->stamps[i] = now;
  }
}

int script_watch_merge(struct script_watch *to, struct script_watch *from)
{
  size_t kept = 0;
  int rc = 0;
  for (size_t i = 0; i < from->n; i++) {
    struct stamp s = from->stamps[i];
    if (watching(to, s.path)) {
      free(s.path);
    } else if (rc != 0 || push_stamp(to, s) != 0) {
      rc = -1;
      from->stamps[kept++] = s; /* stays with 'from', freed with it */
    }
  }
  from->n = kept;
  return rc;
}
