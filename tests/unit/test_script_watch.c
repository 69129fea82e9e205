/* test_script_watch: the one change detector (script_watch.c) on real files
 * in a temporary folder.
 *
 * An edit (new size), a replacement (new inode), a deletion and a return, a
 * path missing when added that then appears; in a watched tree, a script or
 * folder added or removed (and not a swap file beside them); restamp makes the
 * present state the unchanged one; merge moves only the paths the target lacks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
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

  /* A tree: a new .lua file or folder anywhere under it is a change, as is
   * a removed one; another file (an editor's swap file) is not, nor is
   * editing it. */
  ASSERT_OK(mkdir(at("lib"), 0700));
  write_file("lib/m.lua", "m");
  write_file("lib/notes.txt", "n");
  struct script_watch *t = script_watch_new();
  ASSERT_NOT_NULL(t);
  ASSERT_OK(script_watch_add_tree(t, root, ".lua"));
  ASSERT_EQ(script_watch_add_tree(t, root, ".txt"), -1); /* one suffix */
  ASSERT_EQ(script_watch_changed(t), 0);
  write_file("lib/.m.lua.swp", "s");
  write_file("lib/4913", "");
  ASSERT_EQ(script_watch_changed(t), 0);
  write_file("lib/notes.txt", "a longer note");
  ASSERT_EQ(script_watch_changed(t), 0);
  write_file("lib/m.lua", "mm");
  ASSERT_EQ(script_watch_changed(t), 1);
  script_watch_restamp(t);
  write_file("lib/new.lua", "n");
  ASSERT_EQ(script_watch_changed(t), 1);
  script_watch_restamp(t);
  ASSERT_OK(mkdir(at("lib/sub"), 0700));
  ASSERT_EQ(script_watch_changed(t), 1);
  script_watch_restamp(t);
  ASSERT_OK(rmdir(at("lib/sub")));
  ASSERT_EQ(script_watch_changed(t), 1);
  script_watch_restamp(t);
  ASSERT_OK(unlink(at("lib/new.lua")));
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
