/* Decompression for the trail reader (decompress.c): gzip, one member or several, either whole in
 * one call with libdeflate, or streamed through zlib (inputs too large to hold whole, pipes, and
 * damaged gzip, which zlib reads up to the damage and locates); plain input streams through as it
 * is.
 *
 * Ownership: a decompressor (rw_decompress_new) is freed with rw_decompress_free. It owns every
 * buffer it hands out and reuses it for the next input; it never owns its input (memory it streams
 * from must outlive the stream; a descriptor it reads from is not closed). */
#ifndef RW_TRAIL_DECOMPRESS_H
#define RW_TRAIL_DECOMPRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct rw_decompress rw_decompress;

/* Where problems met while streaming go: at an offset of the decompressed input. */
typedef void (*rw_decompress_error_fn)(void *ctx, uint64_t offset, const char *msg);

/* pad: bytes writable after the end of each buffer rw_decompress_whole returns. One decompressor
 * per thread. Aborts when out of memory. */
rw_decompress *rw_decompress_new(size_t pad, rw_decompress_error_fn error, void *ctx);
void rw_decompress_free(rw_decompress *d);

/* Decompresses the gzip input in[0, len) in one piece. Returns true with *out (holding *n bytes,
 * *cap + pad bytes allocated), owned by d and valid until the next rw_decompress_whole or
 * rw_decompress_free; false when the input should be streamed instead: it decompresses to more
 * than max bytes, or it is damaged. */
bool rw_decompress_whole(rw_decompress *d, const unsigned char *in, size_t len, size_t max,
                         char **out, size_t *n, size_t *cap);

/* Streaming: one input at a time, opened from memory or from a descriptor (the bytes read from it
 * are added to *bytes_in, which must outlive the stream), then started. */
void rw_decompress_open_mem(rw_decompress *d, const unsigned char *data, size_t len);
void rw_decompress_open_fd(rw_decompress *d, int fd, uint64_t *bytes_in);
/* Reads input bytes as they are (to tell gzip before rw_decompress_start); 0 at the end. at: the
 * offset of the decompressed input reached, for messages. */
size_t rw_decompress_raw(rw_decompress *d, void *dst, size_t cap, uint64_t at);
/* Starts the stream: gzip (then head[0, h), bytes already taken with rw_decompress_raw, are
 * inflated first) or plain (head is ignored: the caller keeps those bytes). */
void rw_decompress_start(rw_decompress *d, bool gz, const void *head, size_t h);
/* Reads up to cap decompressed bytes into dst; returns how many, 0 at the end of the input (or
 * after a problem, reported through the error callback). at: the offset of dst in the
 * decompressed input, for messages. */
size_t rw_decompress_read(rw_decompress *d, char *dst, size_t cap, uint64_t at);

#endif
