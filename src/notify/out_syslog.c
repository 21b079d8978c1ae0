/* The syslog channel: one RFC 5424 message per alert, for a SIEM or the local syslog daemon.
 *
 *   <PRI>1 TIMESTAMP HOSTNAME rootwatch PROCID root-activity [rootwatch@32473 eventID="..."
 *   account="..." rule="..." severity="..." ...] BOM TITLE
 *
 * PRI is the facility (default auth, 4: security and authorization messages) times 8 plus the
 * severity: critical -> crit (2), high -> err (3), medium -> warning (4), low -> notice (5). The
 * structured data's SD-ID uses the private enterprise number 32473, which RFC 5612 reserves for
 * documentation; the parameters are the alert's fields, with '"', '\' and ']' escaped. TIMESTAMP is
 * when rootwatch detected the event (so a repeated delivery is the same message).
 *
 * Transports: unix:PATH (a datagram socket, default /dev/log; a stream socket gets messages ended
 * by a line feed), udp://HOST:PORT (one datagram per message, RFC 5426) and tcp://HOST:PORT
 * (octet-counting framing, RFC 6587: "LENGTH SP MESSAGE"). The TCP connection is kept and made
 * again when the server closed it or a write fails. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "notify/channel.h"
#include "notify/render.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/xmalloc.h"

static const rw_opt_spec opts[] = {
    {"address", RW_OPT_STRING, "unix:/dev/log", false,
     "unix:PATH, udp://HOST:PORT or tcp://HOST:PORT (port 514 when left out)"},
    {"facility", RW_OPT_STRING, "auth", false,
     "auth (4, the default), authpriv (10), security, user, daemon, local0 ... local7, or 0-23"},
    {"app_name", RW_OPT_STRING, "rootwatch", false, "APP-NAME (at most 48 printable characters)"},
    {"hostname", RW_OPT_STRING, NULL, false, "HOSTNAME (default: this machine's name)"},
    {"timeout_ms", RW_OPT_INT, "5000", false, "how long connecting and writing may take"},
    {NULL, 0, NULL, false, NULL},
};

typedef enum transport { T_UNIX, T_UDP, T_TCP } transport;

typedef struct syslog_state {
    transport t;
    char *host, *port, *path;
    int fd;
    bool unix_stream; /* the unix socket turned out to be a stream socket */
    int facility;
    char hostname[256];
    char app[49];
    long timeout_ms;
} syslog_state;

static const struct {
    const char *name;
    int code;
} facilities[] = {
    {"kern", 0},     {"user", 1},      {"mail", 2},    {"daemon", 3},  {"auth", 4},
    {"security", 4}, {"syslog", 5},    {"lpr", 6},     {"news", 7},    {"uucp", 8},
    {"cron", 9},     {"authpriv", 10}, {"ftp", 11},    {"ntp", 12},    {"audit", 13},
    {"alert", 14},   {"clock", 15},    {"local0", 16}, {"local1", 17}, {"local2", 18},
    {"local3", 19},  {"local4", 20},   {"local5", 21}, {"local6", 22}, {"local7", 23},
};

static int severity_code(const char *s) {
    if (!strcmp(s, "critical")) return 2;
    if (!strcmp(s, "high")) return 3;
    if (!strcmp(s, "medium")) return 4;
    return 5; /* low, and anything unknown */
}

/* A header field (HOSTNAME, APP-NAME): printable ASCII without spaces, or "-". */
static void header_field(char *dst, size_t cap, const char *s) {
    size_t n = 0;
    for (; s && *s && n + 1 < cap; s++)
        dst[n++] = (unsigned char)*s > 0x20 && (unsigned char)*s < 0x7f ? *s : '_';
    if (!n) dst[n++] = '-';
    dst[n] = 0;
}

/* Appends at most max bytes of s (valid UTF-8, cut on a character boundary), control characters
 * and invalid bytes as '?', and with '"', '\' and ']' escaped when escape is set. */
static void put_value(rw_buf *b, const char *s, size_t max, bool escape) {
    size_t n = strlen(s), i = 0, out = 0;
    while (i < n && out < max) {
        size_t k = rw_json_utf8_valid_prefix(s + i, n - i);
        for (size_t j = i; j < i + k; j++) {
            unsigned char c = (unsigned char)s[j];
            if (out >= max && (c & 0xC0) != 0x80) return;
            if (c < 0x20 || c == 0x7f) {
                rw_buf_putc(b, '?');
            } else {
                if (escape && (c == '"' || c == '\\' || c == ']')) rw_buf_putc(b, '\\');
                rw_buf_putc(b, (char)c);
            }
            out++;
        }
        i += k;
        if (i < n && out < max) {
            rw_buf_putc(b, '?');
            out++;
            i++;
        }
    }
}

static char *build_message(const syslog_state *st, const rw_notice *n) {
    rw_buf b;
    rw_buf_init(&b, RW_BUF_DEFAULT_MAX);
    int pri = st->facility * 8 + severity_code(rw_notice_field(n, "severity"));
    int64_t ms = n->detected_ms > 0 ? n->detected_ms : 0;
    if (!ms) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    }
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    rw_buf_printf(&b, "<%d>1 %04d-%02d-%02dT%02d:%02d:%02d.%03dZ %s %s %ld root-activity ", pri,
                  tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  (int)(ms % 1000), st->hostname, st->app, (long)getpid());
    /* the structured data: these four always, the others when the alert has them */
    static const struct {
        const char *param, *field;
        bool always;
    } sd[] = {
        {"eventID", "eventID", true},
        {"account", "account", true},
        {"rule", "rule", true},
        {"severity", "severity", true},
        {"eventName", "eventName", false},
        {"eventSource", "eventSource", false},
        {"eventTime", "eventTime", false},
        {"region", "region", false},
        {"sourceIP", "sourceIPAddress", false},
    };
    rw_buf_puts(&b, "[rootwatch@32473");
    for (size_t i = 0; i < sizeof sd / sizeof sd[0]; i++) {
        const char *v = rw_notice_field(n, sd[i].field);
        if (!*v && !sd[i].always) continue;
        rw_buf_printf(&b, " %s=\"", sd[i].param);
        put_value(&b, v, 200, true);
        rw_buf_putc(&b, '"');
    }
    if (n->test) rw_buf_puts(&b, " test=\"true\"");
    rw_buf_puts(&b, "] \xEF\xBB\xBF");
    char *title = rw_render_title(n, NULL);
    put_value(&b, title, 1000, false);
    free(title);
    return rw_buf_take(&b);
}

/* ---- connections ---- */

static void disconnect(syslog_state *st) {
    if (st->fd >= 0) close(st->fd);
    st->fd = -1;
}

/* connect() within the timeout. */
static int connect_timeout(int fd, const struct sockaddr *sa, socklen_t len, long ms) {
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    int rc = connect(fd, sa, len);
    if (rc < 0 && errno == EINPROGRESS) {
        struct pollfd p = {fd, POLLOUT, 0};
        int r;
        do r = poll(&p, 1, (int)ms);
        while (r < 0 && errno == EINTR);
        if (r == 0) {
            errno = ETIMEDOUT;
            rc = -1;
        } else if (r > 0) {
            int err = 0;
            socklen_t el = sizeof err;
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
            errno = err;
            rc = err ? -1 : 0;
        } else {
            rc = -1;
        }
    }
    int saved = errno;
    fcntl(fd, F_SETFL, fl);
    errno = saved;
    return rc;
}

static int reconnect(syslog_state *st, char *err, size_t errcap) {
    disconnect(st);
    if (st->t == T_UNIX) {
        struct sockaddr_un sa;
        memset(&sa, 0, sizeof sa);
        sa.sun_family = AF_UNIX;
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", st->path);
        for (int pass = 0; pass < 2; pass++) {
            int type = pass ? SOCK_STREAM : SOCK_DGRAM;
            int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
            if (fd < 0) break;
            if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
                st->fd = fd;
                st->unix_stream = pass == 1;
                return RW_OK;
            }
            int e = errno;
            close(fd);
            if (e != EPROTOTYPE) {
                snprintf(err, errcap, "cannot reach %s: %s", st->path, strerror(e));
                return RW_ERETRY;
            }
        }
        snprintf(err, errcap, "cannot reach %s: %s", st->path, strerror(errno));
        return RW_ERETRY;
    }
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = st->t == T_TCP ? SOCK_STREAM : SOCK_DGRAM;
    int g = getaddrinfo(st->host, st->port, &hints, &ai);
    if (g) {
        snprintf(err, errcap, "cannot resolve %s: %s", st->host, gai_strerror(g));
        return RW_ERETRY;
    }
    int e = 0;
    for (struct addrinfo *a = ai; a; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            e = errno;
            continue;
        }
        if (connect_timeout(fd, a->ai_addr, a->ai_addrlen, st->timeout_ms) == 0) {
            struct timeval tv = {st->timeout_ms / 1000, (st->timeout_ms % 1000) * 1000};
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
            st->fd = fd;
            break;
        }
        e = errno;
        close(fd);
    }
    freeaddrinfo(ai);
    if (st->fd < 0) {
        snprintf(err, errcap, "cannot connect to %s:%s: %s", st->host, st->port, strerror(e));
        return RW_ERETRY;
    }
    return RW_OK;
}

/* Has the server closed a kept TCP connection? (Writing to it would seem to work, and the message
 * would be lost.) */
static bool peer_closed(int fd) {
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 0) <= 0) return false;
    if (p.revents & (POLLERR | POLLHUP)) return true;
    char tmp[512];
    ssize_t r = recv(fd, tmp, sizeof tmp, MSG_DONTWAIT); /* a syslog server says nothing: drop it */
    return r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

static int write_all(int fd, const char *p, size_t n) {
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) errno = ETIMEDOUT;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* One attempt on the current connection (made when there is none). */
static int send_once(syslog_state *st, const char *msg, size_t len, bool *fresh, char *err,
                     size_t errcap) {
    *fresh = false;
    if (st->fd >= 0 && st->t == T_TCP && peer_closed(st->fd)) disconnect(st);
    if (st->fd < 0) {
        int rc = reconnect(st, err, errcap);
        if (rc != RW_OK) return rc;
        *fresh = true;
    }
    int r;
    if (st->t == T_TCP) {
        char prefix[32];
        int pl = snprintf(prefix, sizeof prefix, "%zu ", len);
        r = write_all(st->fd, prefix, (size_t)pl);
        if (r == 0) r = write_all(st->fd, msg, len);
    } else if (st->t == T_UNIX && st->unix_stream) {
        r = write_all(st->fd, msg, len);
        if (r == 0) r = write_all(st->fd, "\n", 1);
    } else {
        ssize_t w;
        do w = send(st->fd, msg, len, MSG_NOSIGNAL);
        while (w < 0 && errno == EINTR);
        r = w == (ssize_t)len ? 0 : -1;
        if (w >= 0 && w != (ssize_t)len) errno = EMSGSIZE;
    }
    if (r == 0) return RW_OK;
    const char *where = st->t == T_UNIX ? st->path : st->host;
    snprintf(err, errcap, "writing to %s failed: %s", where, strerror(errno));
    disconnect(st);
    return errno == EMSGSIZE ? RW_EIO : RW_ERETRY;
}

/* ---- the channel ---- */

static void close_syslog(rw_channel *ch) {
    syslog_state *st = ch->state;
    if (!st) return;
    disconnect(st);
    free(st->host);
    free(st->port);
    free(st->path);
    free(st);
    ch->state = NULL;
}

static int open_syslog(rw_channel *ch) {
    syslog_state *st = rw_xcalloc(1, sizeof *st);
    st->fd = -1;
    ch->state = st;
    int rc = RW_OK;
    const char *addr = rw_opt_str(ch->opts, "address");
    if (!strncmp(addr, "unix:", 5)) {
        st->t = T_UNIX;
        const char *path = addr + 5;
        if (!strncmp(path, "//", 2)) path += 2;
        if (!*path || strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
            rc = rw_error_set(RW_EINVAL, "channel %s: option address: a socket path, unix:PATH",
                              ch->name);
            goto done;
        }
        st->path = rw_xstrdup(path);
    } else if (!strncmp(addr, "udp://", 6) || !strncmp(addr, "tcp://", 6)) {
        st->t = addr[0] == 'u' ? T_UDP : T_TCP;
        const char *h = addr + 6, *end;
        const char *port = NULL;
        if (*h == '[') {
            end = strchr(h, ']');
            if (!end) goto bad;
            st->host = rw_xstrndup(h + 1, (size_t)(end - h - 1));
            if (end[1] == ':')
                port = end + 2;
            else if (end[1])
                goto bad;
        } else {
            end = strchr(h, ':');
            st->host = end ? rw_xstrndup(h, (size_t)(end - h)) : rw_xstrdup(h);
            if (end) port = end + 1;
        }
        if (port) {
            char *e;
            long p = strtol(port, &e, 10);
            if (!*port || *e || p < 1 || p > 65535) goto bad;
        }
        st->port = rw_xstrdup(port ? port : "514");
        if (!*st->host || strchr(st->host, '/')) goto bad;
    } else {
        goto bad;
    }
    const char *fac = rw_opt_str(ch->opts, "facility");
    st->facility = -1;
    for (size_t i = 0; i < sizeof facilities / sizeof facilities[0]; i++)
        if (!strcasecmp(fac, facilities[i].name)) st->facility = facilities[i].code;
    if (st->facility < 0) {
        char *e;
        long f = strtol(fac, &e, 10);
        if (*fac && !*e && f >= 0 && f <= 23) st->facility = (int)f;
    }
    if (st->facility < 0) {
        rc = rw_error_set(RW_EINVAL,
                          "channel %s: option facility: '%s' is not a facility (auth, authpriv, "
                          "daemon, local0 ... local7, or a number from 0 to 23)",
                          ch->name, fac);
        goto done;
    }
    const char *app = rw_opt_str(ch->opts, "app_name");
    header_field(st->app, sizeof st->app, app);
    if (!*app || strlen(app) > 48 || strcmp(st->app, app)) {
        rc = rw_error_set(RW_EINVAL,
                          "channel %s: option app_name: 1 to 48 printable ASCII characters "
                          "without spaces",
                          ch->name);
        goto done;
    }
    const char *hn = rw_opt_str(ch->opts, "hostname");
    char local[256] = "";
    if (!hn || !*hn) {
        if (gethostname(local, sizeof local - 1) != 0) local[0] = 0;
        hn = local;
    }
    header_field(st->hostname, sizeof st->hostname, hn);
    st->timeout_ms = rw_opt_int(ch->opts, "timeout_ms");
    if (st->timeout_ms < 10 || st->timeout_ms > 600000) {
        rc = rw_error_set(RW_EINVAL, "channel %s: option timeout_ms: from 10 to 600000", ch->name);
        goto done;
    }
    goto done;
bad:
    rc = rw_error_set(RW_EINVAL,
                      "channel %s: option address: unix:PATH, udp://HOST[:PORT] or "
                      "tcp://HOST[:PORT], not '%s'",
                      ch->name, addr);
done:
    if (rc != RW_OK) close_syslog(ch);
    return rc;
}

static int send_syslog(rw_channel *ch, const rw_notice *n, rw_send_result *res) {
    syslog_state *st = ch->state;
    res->retryable = false;
    res->error[0] = 0;
    res->retry_after_ms = 0;
    char *msg = build_message(st, n);
    size_t len = strlen(msg);
    char err[300] = "";
    bool fresh;
    int rc = send_once(st, msg, len, &fresh, err, sizeof err);
    /* a kept connection (or a receiver that restarted) fails once: try a new one at once */
    if (rc == RW_ERETRY && !fresh) rc = send_once(st, msg, len, &fresh, err, sizeof err);
    free(msg);
    if (rc == RW_OK) return RW_OK;
    res->retryable = rc == RW_ERETRY;
    snprintf(res->error, sizeof res->error, "channel %s: syslog: %s", ch->name, err);
    return rw_error_set(rc, "%s", res->error);
}

const rw_channel_type rw_channel_syslog = {
    .type = "syslog",
    .summary = "an RFC 5424 message per alert to syslog: the local socket, UDP or TCP",
    .opts = opts,
    .idempotency_key = true,
    .open = open_syslog,
    .send = send_syslog,
    .close = close_syslog,
};
