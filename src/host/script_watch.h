/* script_watch: the one change detector for scripts and the files they read.
 *
 * A watch is a list of paths, each stamped (mtime in ns, size, inode) when it
 * is added; script_watch_changed() says whether any stamp differs now. A path
 * that does not exist is stamped as missing, so its creation counts as a
 * change. A folder of a watched tree is stamped by the names it holds (its
 * scripts and subfolders), so adding or removing a script is a change and an
 * editor's swap file is not.
 * Hot reload (host.c) fills a watch with every script the loader found and
 * every file kafka_schema read; `--watch` (local_invoke.c) adds the task
 * root's tree and the event file to the same kind of watch.
 *
 * Knows POSIX stat and readdir; nothing of Lua. */
#ifndef LRT_SCRIPT_WATCH_H
#define LRT_SCRIPT_WATCH_H

struct script_watch;

/* A new, empty watch, or NULL when out of memory. */
struct script_watch *script_watch_new(void);
void script_watch_free(struct script_watch *w);

/* Watch 'path', stamped now; a path already watched is left as it is.
 * Returns 0, or -1 when out of memory (the path is then not watched). */
int script_watch_add(struct script_watch *w, const char *path);

/* Watch 'dir', every folder under it and every file whose name ends in
 * 'suffix' (names starting with '.' are skipped; 8 levels at most). One
 * suffix per watch, of under 16 bytes. Returns 0, or -1 when out of memory
 * or for another suffix. */
int script_watch_add_tree(struct script_watch *w, const char *dir,
                          const char *suffix);

/* Nonzero when a watched path's stamp differs from the file's now. */
int script_watch_changed(const struct script_watch *w);

/* Take every path's stamp again: what is on disk now is "unchanged". */
void script_watch_restamp(struct script_watch *w);

/* Move into 'to' the paths of 'from' that 'to' does not watch, with their
 * stamps. Returns 0, or -1 when out of memory (some paths stay in 'from'). */
int script_watch_merge(struct script_watch *to, struct script_watch *from);

#endif
