#include "sources/in_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/xmalloc.h"

static int cmp_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* What a file that is neither a regular file nor a folder is, in words. */
static const char *what_is(mode_t m) {
    return S_ISFIFO(m)   ? "a named pipe (FIFO)"
           : S_ISSOCK(m) ? "a socket"
           : S_ISCHR(m)  ? "a character device"
           : S_ISBLK(m)  ? "a block device"
                         : "not a regular file";
}

static void skipped(const rw_file_walk *w, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void skipped(const rw_file_walk *w, const char *path, const char *fmt, ...) {
    if (!w->skipped) return;
    char what[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    w->skipped(w->ctx, path, what);
}

static void walk_dir(const char *dir, const rw_file_walk *w) {
    DIR *d = opendir(dir);
    if (!d) {
        w->error(w->ctx, dir, strerror(errno));
        return;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            names = rw_xrealloc(names, cap * sizeof *names);
        }
        names[n++] = rw_xstrdup(e->d_name);
    }
    if (errno) w->error(w->ctx, dir, strerror(errno));
    closedir(d);
    if (n) qsort(names, n, sizeof *names, cmp_names); /* an empty folder has no array at all */
    rw_buf path;
    rw_buf_init(&path, 0);
    for (size_t i = 0; i < n; i++) {
        rw_buf_reset(&path);
        rw_buf_printf(&path, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", names[i]);
        struct stat sb;
        if (lstat(path.data, &sb) != 0) {
            w->error(w->ctx, path.data, strerror(errno));
        } else if (S_ISDIR(sb.st_mode)) {
            walk_dir(path.data, w);
        } else if (S_ISREG(sb.st_mode)) {
            w->file(w->ctx, path.data, false);
        } else if (S_ISLNK(sb.st_mode)) { /* links to files are read, links to folders are not */
            if (stat(path.data, &sb) == 0) {
                if (S_ISREG(sb.st_mode))
                    w->file(w->ctx, path.data, false);
                else if (S_ISDIR(sb.st_mode))
                    skipped(w, path.data, "a symbolic link to a folder (not followed)");
                else
                    skipped(w, path.data, "a symbolic link to %s", what_is(sb.st_mode));
            } else if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) {
                skipped(w, path.data, "a symbolic link to nothing (%s)", strerror(errno));
            } else {
                w->error(w->ctx, path.data, strerror(errno));
            }
        } else {
            skipped(w, path.data, "%s", what_is(sb.st_mode));
        }
        free(names[i]);
    }
    rw_buf_free(&path);
    free(names);
}

void rw_file_walk_arg(const char *arg, const rw_file_walk *w) {
    if (strcmp(arg, "-") == 0) {
        w->file(w->ctx, "-", true);
        return;
    }
    struct stat sb;
    if (stat(arg, &sb) != 0) {
        w->error(w->ctx, arg, strerror(errno));
        return;
    }
    if (S_ISDIR(sb.st_mode))
        walk_dir(arg, w);
    else
        w->file(w->ctx, arg, true);
}

/* ---- the source ---------------------------------------------------------------------------- */

static void walk_file(void *ctx, const char *path, bool named) {
    rw_emit_unit(ctx, path, named, NULL, NULL); /* once stopping, each file is counted unread */
}

static void walk_error(void *ctx, const char *path, const char *msg) {
    rw_emit_error(ctx, path, "%s", msg);
}

static void walk_skipped(void *ctx, const char *path, const char *what) {
    rw_emit_skip(ctx, path, false, what);
}

static int file_enumerate(rw_source *src, rw_emit *emit) {
    rw_file_walk w = {emit, walk_file, walk_error, walk_skipped};
    rw_file_walk_arg(src->state, &w);
    return RW_OK;
}

static void file_read(rw_source *src, rw_unit *u, void **worker) {
    (void)src;
    (void)worker;
    const char *path = rw_unit_name(u);
    bool is_stdin = strcmp(path, "-") == 0;
    int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rw_unit_fail(u, "cannot open: %s", strerror(errno));
        return;
    }
    rw_unit_read_fd(u, fd);
    if (!is_stdin) close(fd);
}

static void file_close(rw_source *src) {
    free(src->state);
}

static const rw_source_type file_type = {
    .type = "file",
    .enumerate = file_enumerate,
    .read = file_read,
    .close = file_close,
};

rw_source *rw_source_file_new(const char *arg) {
    return rw_source_new(&file_type, strcmp(arg, "-") == 0 ? "(standard input)" : arg,
                         rw_xstrdup(arg));
}
