/* rootwatch watch's dir source: a local folder into which CloudTrail files are exported (copied,
 * synced, moved), watched with inotify.
 *
 * Each file is one unit, read whole (rw_unit_read_fd) once it is complete: when its writer closes
 * it (IN_CLOSE_WRITE) or it is moved in (IN_MOVED_TO). Folders made inside are watched too (and
 * read at once: files may be written into them before the watch is in place). Names starting with
 * '.' are passed over (writers' temporary files), as are CloudTrail digest files.
 *
 * The checkpoint is the set of files read: one row of the store's checkpoints per file,
 *   dir:NAME:/path/of/the/file  ->  "MTIME_NS SIZE"
 * written once the file is settled ok (its alerts stored). At the start, and every `rescan`
 * seconds (and when the kernel's event queue overflowed), the whole folder is looked at, and every
 * file whose row is missing or names another time or size is read: files written while rootwatch
 * was stopped, and files whose reading failed (tried again with a growing wait, up to an hour). A
 * file changed after it was read is read again (the store's unique eventID keeps its alerts from
 * being notified twice). A file removed from the folder has its row removed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aws/s3.h"
#include "sources/watch_poll.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"
#include "util/strset.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

#define MAX_RETRY_WAIT 3600
#define WATCH_MASK                                                                                 \
    (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_DELETE_SELF |       \
     IN_MOVE_SELF | IN_ONLYDIR)

typedef struct watch_ent {
    int wd;
    char *path; /* the folder's path */
} watch_ent;

typedef struct file_ent { /* a file in hand or failed */
    char *path;
    char *ident; /* "MTIME_NS SIZE" when handed out */
    bool in_flight;
    bool recheck; /* changed while in hand: looked at again once settled */
    int attempts;
    int64_t retry_at;
} file_ent;

typedef struct dirw {
    rw_poll_base b;
    char *root; /* without a trailing '/' */
    long rescan;
    int ifd;
    watch_ent *watches;
    size_t nwatches, capwatches;
    rw_strset done; /* "IDENT\x1fPATH" of files read (or found read in the store) */
    file_ent *files;
    size_t nfiles, capfiles;
    rw_emit *emit;
    bool stopping;
} dirw;

typedef struct file_ref {
    char *path;
    char *ident; /* what was read: set by read() */
} file_ref;

static void file_ref_free(void *p) {
    file_ref *r = p;
    if (!r) return;
    free(r->path);
    free(r->ident);
    free(r);
}

static char *ident_of(const struct stat *st) {
    char buf[64];
    snprintf(buf, sizeof buf, "%lld%09ld %lld", (long long)st->st_mtim.tv_sec,
             (long)st->st_mtim.tv_nsec, (long long)st->st_size);
    return rw_xstrdup(buf);
}

static char *ckpt_key(dirw *s, const char *path) {
    rw_buf k;
    rw_buf_init(&k, 0);
    rw_buf_printf(&k, "dir:%s:%s", s->b.name, path);
    return rw_buf_take(&k);
}

static char *done_key(const char *ident, const char *path) {
    rw_buf k;
    rw_buf_init(&k, 0);
    rw_buf_printf(&k, "%s\x1f%s", ident, path);
    return rw_buf_take(&k);
}

/* ---- files in hand -------------------------------------------------------------------------- */

static file_ent *file_find(dirw *s, const char *path) {
    for (size_t i = 0; i < s->nfiles; i++)
        if (!strcmp(s->files[i].path, path)) return &s->files[i];
    return NULL;
}

static void file_drop(dirw *s, file_ent *f) {
    free(f->path);
    free(f->ident);
    *f = s->files[--s->nfiles];
}

/* ---- considering a file ------------------------------------------------------------------- */

static bool hidden(const char *name) {
    return name[0] == '.';
}

/* A file to read, if it is not read yet (in the same version), in hand, or waiting for its next
 * try. */
static void consider(dirw *s, const char *path) {
    if (s->stopping) return;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (hidden(base) || rw_s3_key_is_digest(path)) return;
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) return; /* gone, a folder, a pipe */
    char *ident = ident_of(&st);
    char *dk = done_key(ident, path);
    bool take = false;
    pthread_mutex_lock(&s->b.mu);
    if (rw_strset_has(&s->done, dk)) {
        file_ent *f = file_find(s, path);
        if (f && !f->in_flight) file_drop(s, f); /* read as it is now: nothing left to do */
    } else {
        file_ent *f = file_find(s, path);
        if (f && f->in_flight) {
            take = false; /* being read; if it changed meanwhile, looked at again once settled */
            if (strcmp(f->ident, ident)) f->recheck = true;
        } else if (f && !f->in_flight && !strcmp(f->ident, ident) && f->retry_at > rw_poll_now()) {
            take = false; /* failed: waiting for its next try */
        } else {
            /* read already, by an earlier run? */
            char *key = ckpt_key(s, path), *value = NULL;
            if (!f && rw_poll_checkpoint_get(&s->b, key, &value) == RW_OK && value &&
                !strcmp(value, ident)) {
                rw_strset_add(&s->done, dk);
            } else {
                take = true;
                if (!f) {
                    if (s->nfiles == s->capfiles) {
                        s->capfiles = s->capfiles ? 2 * s->capfiles : 16;
                        s->files = rw_xrealloc(s->files, s->capfiles * sizeof *s->files);
                    }
                    f = &s->files[s->nfiles++];
                    *f = (file_ent){.path = rw_xstrdup(path)};
                }
                if (!f->ident || strcmp(f->ident, ident)) f->attempts = 0; /* changed: anew */
                free(f->ident);
                f->ident = rw_xstrdup(ident);
                f->in_flight = true;
            }
            free(value);
            free(key);
        }
    }
    pthread_mutex_unlock(&s->b.mu);
    free(dk);
    free(ident);
    if (!take) return;
    file_ref *r = rw_xcalloc(1, sizeof *r);
    r->path = rw_xstrdup(path);
    if (rw_emit_unit(s->emit, path, false, r, file_ref_free) != RW_OK) {
        s->stopping = true;
        pthread_mutex_lock(&s->b.mu);
        file_ent *f = file_find(s, path);
        if (f) file_drop(s, f);
        pthread_mutex_unlock(&s->b.mu);
        return;
    }
    rw_poll_count_unit(&s->b);
}

/* A file that is gone: its row goes too. */
static void forget(dirw *s, const char *path) {
    char *key = ckpt_key(s, path);
    pthread_mutex_lock(&s->b.mu);
    rw_poll_checkpoint_set(&s->b, key, NULL);
    pthread_mutex_unlock(&s->b.mu);
    free(key);
}

/* ---- watching folders ------------------------------------------------------------------------ */

static void add_watch(dirw *s, const char *path) {
    int wd = inotify_add_watch(s->ifd, path, WATCH_MASK);
    if (wd < 0) {
        rw_poll_error(&s->b, "%s: cannot watch it: %s%s", path, strerror(errno),
                      errno == ENOSPC ? " (raise fs.inotify.max_user_watches)" : "");
        return;
    }
    for (size_t i = 0; i < s->nwatches; i++)
        if (s->watches[i].wd == wd) { /* the same folder again (or a new one with its number) */
            free(s->watches[i].path);
            s->watches[i].path = rw_xstrdup(path);
            return;
        }
    if (s->nwatches == s->capwatches) {
        s->capwatches = s->capwatches ? 2 * s->capwatches : 16;
        s->watches = rw_xrealloc(s->watches, s->capwatches * sizeof *s->watches);
    }
    s->watches[s->nwatches++] = (watch_ent){wd, rw_xstrdup(path)};
}

static const char *watch_path(dirw *s, int wd) {
    for (size_t i = 0; i < s->nwatches; i++)
        if (s->watches[i].wd == wd) return s->watches[i].path;
    return NULL;
}

static void drop_watch(dirw *s, int wd) {
    for (size_t i = 0; i < s->nwatches; i++)
        if (s->watches[i].wd == wd) {
            free(s->watches[i].path);
            s->watches[i] = s->watches[--s->nwatches];
            return;
        }
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Looks at a folder and everything below it: watches each folder (watch) and considers each file,
 * in name order. */
static void scan(dirw *s, const char *path, bool watch, int depth) {
    if (s->stopping) return;
    if (depth > 64) return;
    if (watch) add_watch(s, path);
    DIR *d = opendir(path);
    if (!d) {
        rw_poll_error(&s->b, "%s: cannot read the folder: %s", path, strerror(errno));
        return;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (hidden(e->d_name)) continue; /* ., .. and dot-files */
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            names = rw_xrealloc(names, cap * sizeof *names);
        }
        names[n++] = rw_xstrdup(e->d_name);
    }
    closedir(d);
    if (n) qsort(names, n, sizeof *names, by_name);
    for (size_t i = 0; i < n; i++) {
        rw_buf p;
        rw_buf_init(&p, 0);
        rw_buf_printf(&p, "%s/%s", path, names[i]);
        struct stat st;
        if (lstat(p.data, &st) == 0 && S_ISDIR(st.st_mode)) /* links to folders not followed */
            scan(s, p.data, watch, depth + 1);
        else
            consider(s, p.data);
        rw_buf_free(&p);
        free(names[i]);
    }
    free(names);
}

/* Reads what inotify has to say; false when the root itself went away. */
static bool drain_events(dirw *s, bool *rescan_now) {
    char buf[64 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
    for (;;) {
        ssize_t len = read(s->ifd, buf, sizeof buf);
        if (len <= 0) break;
        for (char *p = buf; p < buf + len;) {
            struct inotify_event *ev = (struct inotify_event *)p;
            p += sizeof *ev + ev->len;
            if (ev->mask & IN_Q_OVERFLOW) {
                rw_log_warn("dir %s: the kernel's event queue overflowed: looking at the whole "
                            "folder",
                            s->b.name);
                *rescan_now = true;
                continue;
            }
            const char *dir = watch_path(s, ev->wd);
            if (ev->mask & IN_IGNORED) {
                drop_watch(s, ev->wd);
                continue;
            }
            if (!dir) continue;
            if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
                if (!strcmp(dir, s->root)) {
                    rw_poll_error(&s->b, "%s: the folder was removed or moved away", s->root);
                    *rescan_now = true;
                }
                continue;
            }
            if (!ev->len || hidden(ev->name)) continue;
            rw_buf path;
            rw_buf_init(&path, 0);
            rw_buf_printf(&path, "%s/%s", dir, ev->name);
            if (ev->mask & IN_ISDIR) {
                if (ev->mask & (IN_CREATE | IN_MOVED_TO)) scan(s, path.data, true, 1);
            } else if (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) {
                consider(s, path.data);
            } else if (ev->mask & (IN_DELETE | IN_MOVED_FROM)) {
                forget(s, path.data);
            }
            rw_buf_free(&path);
        }
    }
    return true;
}

/* Files that changed while they were being read: looked at again. */
static void recheck(dirw *s) {
    char **paths = NULL;
    size_t n = 0;
    pthread_mutex_lock(&s->b.mu);
    for (size_t i = 0; i < s->nfiles; i++)
        if (s->files[i].recheck && !s->files[i].in_flight) {
            s->files[i].recheck = false;
            paths = rw_xrealloc(paths, (n + 1) * sizeof *paths);
            paths[n++] = rw_xstrdup(s->files[i].path);
        }
    pthread_mutex_unlock(&s->b.mu);
    for (size_t i = 0; i < n; i++) {
        consider(s, paths[i]);
        free(paths[i]);
    }
    free(paths);
}

static int dirw_enumerate(rw_source *src, rw_emit *emit) {
    dirw *s = src->state;
    s->emit = emit;
    s->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (s->ifd < 0)
        rw_poll_error(&s->b, "inotify: %s: only the looks every %ld s find new files",
                      strerror(errno), s->rescan);
    int64_t last_scan = 0;
    bool rescan_now = true;
    while (!rw_poll_stopping(&s->b, emit) && !s->stopping) {
        int64_t now = rw_time_now_ms();
        if (rescan_now || now - last_scan >= s->rescan * 1000) {
            struct stat st;
            if (stat(s->root, &st) != 0 || !S_ISDIR(st.st_mode)) {
                rw_poll_error(&s->b, "%s: %s", s->root,
                              errno ? strerror(errno) : "not a folder any more");
            } else {
                rw_poll_count(&s->b, "rootwatch_source_polls_total", "Polls made, per source", 1);
                rw_poll_healthy(&s->b);
                scan(s, s->root, s->ifd >= 0, 0); /* watches are added again: idempotent */
            }
            last_scan = rw_time_now_ms();
            rescan_now = false;
        }
        if (s->ifd < 0) {
            if (rw_poll_wait(&s->b, emit, 1.0)) break;
            continue;
        }
        recheck(s);
        struct pollfd pfd = {s->ifd, POLLIN, 0};
        int r = poll(&pfd, 1, 200); /* a stop is seen within a fifth of a second */
        if (r > 0) drain_events(s, &rescan_now);
    }
    if (s->ifd >= 0) close(s->ifd);
    s->ifd = -1;
    return RW_OK;
}

static void dirw_read(rw_source *src, rw_unit *u, void **worker) {
    (void)src, (void)worker;
    file_ref *r = rw_unit_data(u);
    int fd = open(r->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        rw_unit_fail(u, "cannot open: %s", strerror(errno));
        return;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rw_unit_fail(u, "not a regular file any more");
        close(fd);
        return;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0) fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    r->ident = ident_of(&st); /* what is read: a change after it is read again */
    rw_unit_read_fd(u, fd);
    close(fd);
}

static void dirw_settle(rw_source *src, rw_unit *u, bool ok) {
    dirw *s = src->state;
    file_ref *r = rw_unit_data(u);
    pthread_mutex_lock(&s->b.mu);
    file_ent *f = file_find(s, r->path);
    if (ok && r->ident) {
        char *key = ckpt_key(s, r->path);
        if (rw_poll_checkpoint_set(&s->b, key, r->ident) == RW_OK) {
            char *dk = done_key(r->ident, r->path);
            rw_strset_add(&s->done, dk);
            free(dk);
        }
        free(key);
        if (f && (f->recheck || strcmp(f->ident, r->ident))) {
            /* changed since it was handed out: looked at again by the enumerating thread */
            f->in_flight = false;
            f->recheck = true;
            f->attempts = 0;
            f->retry_at = 0;
        } else if (f) {
            file_drop(s, f);
        }
    } else if (f && rw_unit_stopping(u)) {
        f->in_flight = false; /* handed back unread at a stop: no error */
    } else if (f) {
        f->in_flight = false;
        f->recheck = false;
        f->attempts++;
        int64_t wait = s->rescan;
        for (int i = 1; i < f->attempts && wait < MAX_RETRY_WAIT; i++) wait *= 2;
        if (wait > MAX_RETRY_WAIT) wait = MAX_RETRY_WAIT;
        f->retry_at = rw_poll_now() + wait;
        rw_poll_error(&s->b,
                      "%s: not read in full (attempt %d): tried again in %lld s or when it "
                      "changes",
                      r->path, f->attempts, (long long)wait);
    }
    pthread_mutex_unlock(&s->b.mu);
}

static void dirw_close(rw_source *src) {
    dirw *s = src->state;
    if (s->ifd >= 0) close(s->ifd);
    for (size_t i = 0; i < s->nwatches; i++) free(s->watches[i].path);
    free(s->watches);
    for (size_t i = 0; i < s->nfiles; i++) {
        free(s->files[i].path);
        free(s->files[i].ident);
    }
    free(s->files);
    rw_strset_free(&s->done);
    free(s->root);
    rw_poll_free(&s->b);
    free(s);
}

static const rw_source_type dirw_type = {
    .type = "dir",
    .enumerate = dirw_enumerate,
    .read = dirw_read,
    .settle = dirw_settle,
    .close = dirw_close,
};

static const rw_opt_spec dirw_opts[] = {
    {"path", RW_OPT_STRING, NULL, true, "the folder (read recursively; new folders are watched)"},
    {"rescan", RW_OPT_INT, "60", false,
     "seconds between two looks at the whole folder besides inotify (files that failed are tried "
     "again then)"},
    {NULL, 0, NULL, false, NULL},
};

static int dirw_create(rw_source **out, const char *name, const rw_opt_values *opts,
                       rw_watch_env *env) {
    *out = NULL;
    const char *path = rw_opt_str(opts, "path");
    long rescan = rw_opt_int(opts, "rescan");
    if (!path || !*path) return rw_error_set(RW_EINVAL, "source %s: path: missing", name);
    struct stat st;
    if (stat(path, &st) != 0)
        return rw_error_set(RW_EINVAL, "source %s: path: %s: %s", name, path, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return rw_error_set(RW_EINVAL, "source %s: path: %s is not a folder", name, path);
    if (rescan < 1)
        return rw_error_set(RW_EINVAL, "source %s: rescan: at least 1 second, not %ld", name,
                            rescan);
    char *abs = realpath(path, NULL);
    if (!abs)
        return rw_error_set(RW_EINVAL, "source %s: path: %s: %s", name, path, strerror(errno));
    dirw *s = rw_xcalloc(1, sizeof *s);
    rw_poll_init(&s->b, env, name, "dir");
    s->root = rw_xstrdup(abs);
    free(abs);
    s->rescan = rescan;
    s->ifd = -1;
    char label[PATH_MAX + 64];
    snprintf(label, sizeof label, "dir %s (%s)", name, s->root);
    *out = rw_source_new(&dirw_type, label, s);
    return RW_OK;
}

const rw_watch_source_type rw_watch_source_dir = {
    .type = "dir",
    .summary = "a local folder of exported CloudTrail files, watched with inotify",
    .opts = dirw_opts,
    .create = dirw_create,
};
