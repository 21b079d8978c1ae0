#include "util/sdnotify.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/err.h"

static struct sockaddr_un addr; /* set by rw_sd_init, read-only afterwards */
static socklen_t addr_len;      /* 0: no socket */

int64_t rw_sd_init(void) {
    const char *path = getenv("NOTIFY_SOCKET");
    size_t n = path ? strlen(path) : 0;
    addr_len = 0;
    if (n >= 2 && n < sizeof addr.sun_path && (path[0] == '/' || path[0] == '@')) {
        memset(&addr, 0, sizeof addr);
        addr.sun_family = AF_UNIX;
        memcpy(addr.sun_path, path, n);
        if (path[0] == '@') addr.sun_path[0] = 0; /* an abstract socket */
        addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (path[0] == '/'));
    }
    int64_t wd = 0;
    const char *usec = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
    if (usec && *usec) {
        char *end;
        long long v = strtoll(usec, &end, 10);
        bool mine = !pid || !*pid || strtol(pid, NULL, 10) == (long)getpid();
        if (!*end && v > 0 && mine) wd = v;
    }
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
    return wd;
}

int rw_sd_notify(const char *state) {
    if (!addr_len) return RW_OK;
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return rw_error_set(RW_EIO, "NOTIFY_SOCKET: %s", strerror(errno));
    ssize_t w = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&addr, addr_len);
    int err = errno;
    close(fd);
    if (w < 0) return rw_error_set(RW_EIO, "NOTIFY_SOCKET: %s", strerror(err));
    return RW_OK;
}
