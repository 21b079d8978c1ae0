/* systemd's service notifications (sd_notify(3)) without libsystemd: a datagram to the socket
 * systemd names in NOTIFY_SOCKET, for a Type=notify unit (rootwatch watch: READY=1 once its
 * sources run, RELOADING=1 around a SIGHUP, STOPPING=1, WATCHDOG=1 while its main loop turns).
 * Nothing happens when the process was not started by systemd that way. */
#ifndef RW_UTIL_SDNOTIFY_H
#define RW_UTIL_SDNOTIFY_H

#include <stdint.h>

/* Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID, then removes them from the environment
 * (so that no child process answers for this one). Call once, before any thread starts. Returns
 * the watchdog's interval in microseconds (0: no watchdog for this process). */
int64_t rw_sd_init(void);
/* Sends state ("READY=1", "WATCHDOG=1", "STATUS=...": lines of KEY=VALUE); RW_OK, also when there
 * is no socket to send to; an error (with the message set) when sending failed. */
int rw_sd_notify(const char *state);

#endif
