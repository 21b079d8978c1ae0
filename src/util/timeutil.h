/* Timestamps and durations, with the clock injectable for tests (ROOTWATCH_NOW). */
#ifndef RW_TIMEUTIL_H
#define RW_TIMEUTIL_H

#include <stdint.h>

/* Parses an RFC 3339 / ISO 8601 time: 2026-11-20T10:00:00Z, with fractions of a second, a +hh:mm
 * offset, a space instead of T, or a date alone (midnight UTC). Returns RW_OK or RW_EINVAL. */
int rw_time_parse(const char *s, int64_t *epoch);
/* Parses a duration: 90s, 30m, 12h, 7d, 2w, or sums of them (1d12h). */
int rw_duration_parse(const char *s, int64_t *seconds);
/* A time or a duration before now. */
int rw_time_parse_when(const char *s, int64_t now, int64_t *epoch);
/* Seconds since the epoch; ROOTWATCH_NOW (a time as above) overrides the clock. */
int64_t rw_time_now(void);
/* Milliseconds since the epoch, from the real clock (ROOTWATCH_NOW does not apply: deadlines and
 * delivery times are real). */
int64_t rw_time_now_ms(void);
/* Formats as 2026-11-20T10:00:00Z. */
void rw_time_format(int64_t epoch, char out[32]);

#endif
