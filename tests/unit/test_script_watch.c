/* test_script_watch: the one change detector (script_watch.c) on real files
 * in a temporary folder.
 *
 * An edit (new size), a replacement (new inode), a deletion and a return, a
 * path missing when added that then appears, a file added to a watched tree
 * and one whose suffix does not match; restamp makes the present state the
 * unchanged one; merge moves only the paths the target lacks. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "script_watch.h"
#include "test.h"

static char root[] = "/tmp/lrt-test-watch-XXXXXX";

static const char *at(const char *name)
{
  static char path[4][256];
  static int next;
  char *p = path[next++ % 4];
  snprintf(p, sizeof(path[0]), "%s/%s", root, name);
  return p;
}

static void write_file(const char *name, const char *text)
{
  FILE *f = fopen(at(name), "w");
  ASSERT_NOT_NULL(f);
  fputs(text, f);
  ASSERT_OK(fclose(f));
}

int main(void)
{
  ASSERT_NOT_NULL(mkdtemp(root));
  write_file("a.lua", "a");
  struct script_watch *w = script_watch_new();
  ASSERT_NOT_NULL(w);
  ASSERT_EQ(script_watch_changed(w), 0); /* empty */
  ASSERT_OK(script_watch_add(w, at("a.lua")));
  ASSERT_OK(script_watch_add(w, at("a.lua"))); /* once only */
  ASSERT_OK(script_watch_add(w, at("later.json")));
  ASSERT_EQ(script_watch_changed(w), 0);

  write_file("a.lua", "ab"); /* edited */
  ASSERT_EQ(script_watch_changed(w), 1);
  script_watch_restamp(w);
  ASSERT_EQ(script_watch_changed(w), 0);

  write_file("a.lua.new", "xy"); /* replaced: same size, new inode */
  ASSERT_OK(rename(at("a.lua.new"), at("a.lua")));
  ASSERT_EQ(script_watch_changed(w), 1);
  script_watch_restamp(w);

  ASSERT_OK(unlink(at("a.lua"))); /* deleted */
  ASSERT_EQ(script_watch_changed(w), 1);
  script_watch_restamp(w);
  ASSERT_EQ(script_watch_changed(w), 0);
  write_file("a.lua", "ab"); /* back */
  ASSERT_EQ(script_watch_changed(w), 1);
  script_watch_restamp(w);

  write_file("later.json", "{}"); /* missing when added, now there */
  ASSERT_EQ(script_watch_changed(w), 1);
  script_watch_restamp(w);

  /* A tree: a new .lua file anywhere under it is a change (its folder's
   * stamp moves); a new file of another suffix in a folder is too, as the
   * folder changed, but editing it later is not watched. */
  ASSERT_OK(mkdir(at("lib"), 0700));
  write_file("lib/m.lua", "m");
  write_file("lib/notes.txt", "n");
  struct script_watch *t = script_watch_new();
  ASSERT_NOT_NULL(t);
  ASSERT_OK(script_watch_add_tree(t, root, ".lua"));
  ASSERT_EQ(script_watch_changed(t), 0);
  write_file("lib/notes.txt", "a longer note");
  ASSERT_EQ(script_watch_changed(t), 0);
  write_file("lib/m.lua", "mm");
  ASSERT_EQ(script_watch_changed(t), 1);
  script_watch_restamp(t);
  /* A folder's mtime is all that shows a new entry; past the file
   * system's timestamp tick (coarse: a few ms), it must move. */
  struct timespec tick = {0, 50 * 1000000L};
  nanosleep(&tick, NULL);
  write_file("lib/new.lua", "n");
  ASSERT_EQ(script_watch_changed(t), 1);
  script_watch_restamp(t);

  /* Merge: 'w' gains the tree's paths but keeps its own stamps. */
  write_file("a.lua", "abc"); /* 'w' sees this, 't' restamps it away */
  script_watch_restamp(t);
  ASSERT_EQ(script_watch_changed(t), 0);
  ASSERT_OK(script_watch_merge(w, t));
  ASSERT_EQ(script_watch_changed(w), 1); /* its own stale a.lua stamp */
  script_watch_restamp(w);
  ASSERT_EQ(script_watch_changed(w), 0);
  write_file("lib/m.lua", "mmm"); /* moved from 't' */
  ASSERT_EQ(script_watch_changed(w), 1);
  ASSERT_EQ(script_watch_changed(t), 0); /* 't' gave it away */
  script_watch_free(t);
  script_watch_free(w);
  script_watch_free(NULL);

  char cmd[300];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
  ASSERT_OK(system(cmd));
  return 0;
}
