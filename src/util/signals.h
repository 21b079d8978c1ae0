/* An orderly stop on SIGINT and SIGTERM. The handler only records which signal came; the loops
 * that take new work (the scan's sources, the delivery threads, later the services) ask
 * rw_signal_stop_requested() and wind down: nothing new is started, what is in hand is finished
 * and stored, what is left stays pending in the store, the summary is printed, and the command
 * exits with rw_signal_exit_code() (130 for SIGINT, 143 for SIGTERM). A second signal is recorded
 * the same way: the wind-down is already bounded by the timeouts of what is in flight. */
#ifndef RW_UTIL_SIGNALS_H
#define RW_UTIL_SIGNALS_H

/* Installs the handlers (idempotent). */
void rw_signal_install(void);
/* The signal that asked for a stop (SIGINT or SIGTERM), or 0. Safe from any thread. */
int rw_signal_stop_requested(void);
/* 128 + the signal, the shell's convention for a process ended by it. */
int rw_signal_exit_code(int sig);
/* Its name: "SIGINT", "SIGTERM" (a static string). */
const char *rw_signal_name(int sig);
/* A span of work that a stop must not cut short (a Lambda invocation, which is answered whole or
 * not at all): from rw_signal_hold() on, rw_signal_stop_requested() answers 0, so that nothing
 * that polls it (the engine, the sources) winds down; a signal that comes meanwhile is still
 * recorded, and rw_signal_release() ends the span and returns it (or 0), after which
 * rw_signal_stop_requested() reports it as usual. Not nested; from one thread. */
void rw_signal_hold(void);
int rw_signal_release(void);
/* For tests: forget a recorded signal. */
void rw_signal_reset(void);

#endif
