/* A zip archive writer, for Lambda deployment packages: entries deflated (zlib) or stored when
 * that is smaller, Unix modes in the external attributes (so unzip and Lambda keep bootstrap
 * executable), and one fixed timestamp, so the same files give the same bytes. No zip64: an entry
 * or an archive of 4 GB or more is refused (Lambda's own limit is 250 MB unzipped). */
#ifndef RW_DEPLOY_ZIP_H
#define RW_DEPLOY_ZIP_H

#include <stddef.h>
#include <stdint.h>

typedef struct rw_zip rw_zip;

/* The timestamp of every entry: 1980-01-01 00:00:00, the earliest a zip can say. */
#define RW_ZIP_DOS_DATE 0x0021
#define RW_ZIP_DOS_TIME 0x0000

/* Starts writing the archive at path: the bytes go to a temporary file beside it, which
 * rw_zip_finish renames into place (a failed or abandoned archive leaves no file at path). */
int rw_zip_open(rw_zip **out, const char *path);
/* Adds an entry name (a relative path with '/') holding len bytes, with Unix permission bits mode
 * (0755, 0644). The name must be new to the archive. */
int rw_zip_add(rw_zip *z, const char *name, unsigned mode, const void *data, size_t len);
/* Adds the contents of the file at path as name. */
int rw_zip_add_file(rw_zip *z, const char *name, unsigned mode, const char *path);
/* Writes the central directory, closes and renames the archive into place; *size (if not NULL)
 * gets its size in bytes. Frees z whatever happens. */
int rw_zip_finish(rw_zip *z, uint64_t *size);
/* Abandons the archive: removes the temporary file and frees z. NULL is fine. */
void rw_zip_abort(rw_zip *z);

#endif
