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
  long long size;     /* a tree's folder: the hash of the names it holds */
  unsigned long long ino;
  int tree_dir; /* a folder of add_tree: only its entries count */
};

struct script_watch {
  struct stamp *stamps;
  size_t n, cap;
  char suffix[16]; /* add_tree's: the files its folders' stamps count */
};

static int has_suffix(const char *name, const char *suffix)
{
  size_t n = strlen(name), k = strlen(suffix);
  return n >= k && strcmp(name + n - k, suffix) == 0;
}

/* An order-independent hash of the names in 'dir' a tree watches (folders
 * and files ending in 'suffix', none starting with '.'), so an editor's swap
 * or backup file is no change and a new script is. */
static long long tree_dir_hash(const char *dir, const char *suffix)
{
  DIR *d = opendir(dir);
  if (!d)
    return -1;
  unsigned long long h = 0;
  struct dirent *e;
  char path[4096];
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    struct stat st;
    int n = snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
    if (n < 0 || (size_t)n >= sizeof(path) || stat(path, &st) != 0)
      continue;
    if (!S_ISDIR(st.st_mode) && !has_suffix(e->d_name, suffix))
      continue;
    unsigned long long v = 1469598103934665603ULL; /* FNV-1a */
    for (const char *c = e->d_name; *c; c++)
      v = (v ^ (unsigned char)*c) * 1099511628211ULL;
    h += v * 0x9E3779B97F4A7C15ULL; /* a sum: readdir has no order */
  }
  closedir(d);
  return (long long)(h >> 1);
}

/* A missing file gets mtime -1, so its return counts as a change. A tree's
 * folder is stamped by the names it holds, not by its mtime. */
static struct stamp stamp_of(const struct script_watch *w, const char *path,
                             int tree_dir)
{
  struct stamp s = {NULL, -1, -1, 0, tree_dir};
  struct stat st;
  if (stat(path, &st) != 0)
    return s;
  s.ino = (unsigned long long)st.st_ino;
  if (tree_dir) {
    s.mtime_ns = 0;
    s.size = tree_dir_hash(path, w->suffix);
    return s;
  }
  s.mtime_ns = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
  s.size = (long long)st.st_size;
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

static int add_path(struct script_watch *w, const char *path, int tree_dir)
{
  if (watching(w, path))
    return 0;
  struct stamp s = stamp_of(w, path, tree_dir);
  s.path = strdup(path);
  if (!s.path || push_stamp(w, s) != 0) {
    free(s.path);
    return -1;
  }
  return 0;
}

int script_watch_add(struct script_watch *w, const char *path)
{
  return add_path(w, path, 0);
}

static int add_tree(struct script_watch *w, const char *dir, const char *suffix,
                    int depth)
{
  if (add_path(w, dir, 1) != 0)
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
  if (strlen(suffix) >= sizeof(w->suffix) ||
      (w->suffix[0] && strcmp(w->suffix, suffix) != 0))
    return -1;
  snprintf(w->suffix, sizeof(w->suffix), "%s", suffix);
  return add_tree(w, dir, suffix, 0);
}

int script_watch_changed(const struct script_watch *w)
{
  for (size_t i = 0; i < w->n; i++) {
    struct stamp now = stamp_of(w, w->stamps[i].path, w->stamps[i].tree_dir);
    if (stamp_differs(&now, &w->stamps[i]))
      return 1;
  }
  return 0;
}

void script_watch_restamp(struct script_watch *w)
{
  for (size_t i = 0; i < w->n; i++) {
    struct stamp now = stamp_of(w, w->stamps[i].path, w->stamps[i].tree_dir);
    now.path = w->stamps[i].path;
    w->stamps[i] = now;
  }
}

int script_watch_merge(struct script_watch *to, struct script_watch *from)
{
  size_t kept = 0;
  int rc = 0;
  if (!to->suffix[0])
    memcpy(to->suffix, from->suffix, sizeof(to->suffix));
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
