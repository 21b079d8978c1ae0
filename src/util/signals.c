#include "util/signals.h"

#include <signal.h>
#include <stdatomic.h>
#include <string.h>

/* lock-free atomics: safe to store from a handler and to read from any thread */
static atomic_int stop_signal;
static atomic_int held; /* rw_signal_hold: the stop is recorded, not reported */

static void on_signal(int sig) {
    atomic_store(&stop_signal, sig); /* nothing else: see the header */
}

void rw_signal_install(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART; /* a read or a wait in progress goes on; the loops poll the flag */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int rw_signal_stop_requested(void) {
    return atomic_load(&held) ? 0 : atomic_load(&stop_signal);
}

void rw_signal_hold(void) {
    atomic_store(&held, 1);
}

int rw_signal_release(void) {
    atomic_store(&held, 0);
    return atomic_load(&stop_signal);
}

int rw_signal_exit_code(int sig) {
    return 128 + sig;
}

const char *rw_signal_name(int sig) {
    return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "a signal";
}

void rw_signal_reset(void) {
    atomic_store(&stop_signal, 0);
}
