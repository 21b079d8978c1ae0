/* Local sources: files, folders (searched recursively, in name order) and standard input.
 *
 * Ownership: each rw_source_*_new here and in in_s3.h, in_lookup.h returns a new source, which the
 * caller hands to rw_engine_run (the engine then frees it) or frees with rw_source_free. */
#ifndef RW_IN_FILE_H
#define RW_IN_FILE_H

#include <stdbool.h>

#include "engine/source.h"

/* The callbacks of a walk: every path and message they get is borrowed for the call only. */
typedef struct rw_file_walk {
    void *ctx;
    /* A file to read; named says whether the user named it (rather than a folder holding it). */
    void (*file)(void *ctx, const char *path, bool named);
    /* A path that cannot be read. */
    void (*error)(void *ctx, const char *path, const char *msg);
    /* An entry of a folder that is not read, and what it is: a symbolic link to a folder (not
     * followed) or to nothing, a named pipe, a socket, a device. May be NULL. */
    void (*skipped)(void *ctx, const char *path, const char *what);
} rw_file_walk;

/* Walks one argument: "-" is standard input (passed on as "-"), a folder is searched
 * recursively (symbolic links to files inside it are read, those to folders are not followed;
 * named pipes and devices inside it are not read), anything else is a file. */
void rw_file_walk_arg(const char *arg, const rw_file_walk *w);

/* A source for one command-line argument (copied): a file, a folder (walked as above; each file a
 * unit of work), or "-" for standard input. */
rw_source *rw_source_file_new(const char *arg);

#endif
