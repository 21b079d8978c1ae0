/* Diagnostics on stderr: "rootwatch: <level>: message", or one JSON object a line (Lambda).
 * Thread-safe; one line per call. */
#ifndef RW_LOG_H
#define RW_LOG_H

enum rw_log_level { RW_LOG_ERROR = 0, RW_LOG_WARN = 1, RW_LOG_INFO = 2, RW_LOG_DEBUG = 3 };

void rw_log_set_level(enum rw_log_level level);
enum rw_log_level rw_log_get_level(void);
/* JSON lines instead, for Lambda's log tools: {"level":"error","message":"..."}, with
 * "requestId" while one is set (rw_log_set_request_id, copied; NULL: none). */
void rw_log_set_json(int on);
void rw_log_set_request_id(const char *id);
void rw_log(enum rw_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "time" (RFC 3339, UTC, milliseconds) first in each JSON line, for services (rootwatch watch). */
void rw_log_set_time(int on);
/* A line with fields: name, value pairs (NULL-terminated; a NULL value leaves its pair out), as
 * members of the JSON line ({"time":...,"level":"info","message":"...","source":"q",
 * "eventID":"..."}), or after the message as " name=value" in text (the value quoted as a JSON
 * string when it is empty or holds a space, a quote, '=', a backslash or a control character). */
void rw_log_fields(enum rw_log_level level, const char *const *fields, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define rw_log_error(...) rw_log(RW_LOG_ERROR, __VA_ARGS__)
#define rw_log_warn(...) rw_log(RW_LOG_WARN, __VA_ARGS__)
#define rw_log_info(...) rw_log(RW_LOG_INFO, __VA_ARGS__)
#define rw_log_debug(...) rw_log(RW_LOG_DEBUG, __VA_ARGS__)

#endif
