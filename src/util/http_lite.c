/* util/http.h without libcurl (issue 12): plain sockets and OpenSSL's libssl. It is the HTTP of
 * rootwatch-lambda, the program `rootwatch package` bundles, whose cold start is mostly the loading
 * of its libraries: libcurl brings some thirty (GnuTLS, Kerberos, LDAP, SSH, ...) that this file
 * does not need. It behaves as util/http.c does, checked by the same unit tests
 * (tests/unit/test_aws_http.c and test_notify_http.c are built against both):
 * - one connection per handle, kept alive between requests to the same scheme, host and port, and
 *   opened again (once) when a kept connection turns out to have been closed by the server;
 * - TLS always verified: AWS_CA_BUNDLE, else libcurl's Debian defaults (/etc/ssl/certs/
 *   ca-certificates.crt and /etc/ssl/certs), else OpenSSL's default paths; SNI; the host name (or
 *   IP address) checked against the certificate; TLS 1.2 at least;
 * - plain http only to loopback addresses, and to the metadata endpoints when the request allows
 *   it; no redirect followed; no proxy at all (Lambda has none: HTTPS_PROXY and the like are not
 *   read, where util/http.c's libcurl honours them for non-local hosts);
 * - Content-Length and chunked bodies (and bodies up to the connection's close); 1xx responses
 *   skipped; header lines stored as "name: value\n" with names in lower case;
 * - the connect timeout (connect and TLS handshake; name resolution is getaddrinfo's own), the
 *   total timeout, the stall timeout (no byte moved for that many whole seconds), stop_on_signal
 *   (waits are polls of at most 100 ms that look at util/signals), max_body;
 * - the error codes and messages of util/http.c, with libcurl's words for the failures.
 * Messages name scheme://host:port only: URLs may carry secrets in their query. */
#include "util/http.h"
#include "util/http_impl.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "util/err.h"
#include "util/secret.h"
#include "util/signals.h"
#include "util/xmalloc.h"

#define HTTP_MAX_URL ((size_t)1 << 20)
#define SIGNAL_SLICE_MS 100
#define READ_CHUNK 16384
#define DEFAULT_CA_FILE "/etc/ssl/certs/ca-certificates.crt"
#define DEFAULT_CA_DIR "/etc/ssl/certs"

#ifndef RW_VERSION
#define RW_VERSION "0"
#endif

struct rw_http {
    rw_http_opts opts;
    char *ca_bundle; /* AWS_CA_BUNDLE when rw_http_new ran, or NULL */
    SSL_CTX *ctx;    /* made at the first https request */
    /* the live connection, or fd -1 */
    int fd;
    SSL *ssl;
    char *conn_key; /* "scheme://host:port" of the live connection */
    /* bytes received and not yet used: in.data[in_off .. in.len) */
    rw_buf in;
    size_t in_off;
};

/* ---- URLs ---------------------------------------------------------------------------------- */

typedef struct url_parts {
    char *scheme, *host, *port; /* host as written: IPv6 in brackets; port with its default */
    char *target;               /* path (at least "/") and query, without the fragment */
    char *user, *password;      /* decoded user information, or NULL */
    bool has_query;
    unsigned portnum;
} url_parts;

static void url_parts_free(url_parts *p) {
    free(p->scheme);
    free(p->host);
    free(p->port);
    free(p->target);
    if (p->user) rw_secret_free(p->user, strlen(p->user));
    if (p->password) rw_secret_free(p->password, strlen(p->password));
    memset(p, 0, sizeof *p);
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static char *pct_decode(const char *s, size_t n) {
    char *out = rw_xmalloc(n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            out[o++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = 0;
    return out;
}

static int bad_url(const char *why) {
    /* not the URL itself: it may hold a secret */
    return rw_error_set(RW_EINVAL, "not a URL rootwatch can use: %s", why);
}

/* scheme://[user[:password]@]host[:port][/path][?query][#fragment], as libcurl reads it with
 * CURLU_PATH_AS_IS: no white space or control character anywhere, the path kept as written. */
static int url_parse(url_parts *p, const char *url) {
    memset(p, 0, sizeof *p);
    if (!url || !*url) return rw_error_set(RW_EINVAL, "no URL");
    size_t len = strlen(url);
    if (len > HTTP_MAX_URL) return bad_url("URL is too long");
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)url[i] <= ' ' || url[i] == 0x7f)
            return bad_url("Malformed input to a URL function");
    const char *s = url;
    if (!isalpha((unsigned char)*s)) return bad_url("Bad scheme");
    const char *se = s;
    while (isalnum((unsigned char)*se) || *se == '+' || *se == '-' || *se == '.') se++;
    if (strncmp(se, "://", 3) != 0) return bad_url("Bad scheme");
    p->scheme = rw_xstrndup(s, (size_t)(se - s));
    for (char *c = p->scheme; *c; c++) *c = (char)tolower((unsigned char)*c);
    const char *a = se + 3;
    const char *ae = a + strcspn(a, "/?#");
    const char *at = memchr(a, '@', (size_t)(ae - a));
    const char *hs = a;
    if (at) {
        const char *colon = memchr(a, ':', (size_t)(at - a));
        const char *ue = colon ? colon : at;
        p->user = pct_decode(a, (size_t)(ue - a));
        if (colon) p->password = pct_decode(colon + 1, (size_t)(at - colon - 1));
        hs = at + 1;
    }
    const char *he, *pstart = NULL;
    if (*hs == '[') {
        const char *rb = memchr(hs, ']', (size_t)(ae - hs));
        if (!rb) goto bad_host;
        char tmp[INET6_ADDRSTRLEN + 1];
        size_t n = (size_t)(rb - hs - 1);
        struct in6_addr a6;
        if (n == 0 || n >= sizeof tmp) goto bad_host;
        memcpy(tmp, hs + 1, n);
        tmp[n] = 0;
        if (inet_pton(AF_INET6, tmp, &a6) != 1) goto bad_host;
        he = rb + 1;
        if (he < ae && *he != ':') goto bad_host;
        if (he < ae) pstart = he + 1;
    } else {
        const char *colon = memchr(hs, ':', (size_t)(ae - hs));
        he = colon ? colon : ae;
        if (colon) pstart = colon + 1;
        if (he == hs) goto bad_host;
        for (const char *c = hs; c < he; c++)
            if (!isalnum((unsigned char)*c) && *c != '-' && *c != '.' && *c != '_') goto bad_host;
    }
    if (he == hs) goto bad_host;
    p->host = rw_xstrndup(hs, (size_t)(he - hs));
    if (pstart && pstart < ae) {
        unsigned long v = 0;
        for (const char *c = pstart; c < ae; c++) {
            if (!isdigit((unsigned char)*c) || (v = v * 10 + (unsigned long)(*c - '0')) > 65535) {
                url_parts_free(p);
                return bad_url("Port number was not a decimal number between 0 and 65535");
            }
        }
        p->portnum = (unsigned)v;
    } else if (strcmp(p->scheme, "https") == 0) {
        p->portnum = 443;
    } else if (strcmp(p->scheme, "http") == 0) {
        p->portnum = 80;
    } else {
        p->portnum = 0;
    }
    char port[8];
    snprintf(port, sizeof port, "%u", p->portnum);
    p->port = rw_xstrdup(port);
    const char *frag = strchr(ae, '#');
    size_t tlen = frag ? (size_t)(frag - ae) : strlen(ae);
    if (tlen == 0 || *ae == '?') {
        p->target = rw_xmalloc(tlen + 2);
        p->target[0] = '/';
        memcpy(p->target + 1, ae, tlen);
        p->target[tlen + 1] = 0;
    } else {
        p->target = rw_xstrndup(ae, tlen);
    }
    const char *q = memchr(ae, '?', tlen);
    p->has_query = q && (size_t)(ae + tlen - q) > 1;
    return RW_OK;
bad_host:
    url_parts_free(p);
    return bad_url("Bad hostname");
}

bool rw_http_is_loopback(const char *url) {
    url_parts p;
    if (url_parse(&p, url)) {
        rw_error_clear();
        return false;
    }
    bool yes = rw_http_host_is_loopback(p.host);
    url_parts_free(&p);
    return yes;
}

/* ---- handles ------------------------------------------------------------------------------- */

rw_http *rw_http_new(const rw_http_opts *opts) {
    rw_http *h = rw_xcalloc(1, sizeof *h);
    h->ca_bundle = rw_http_handle_opts(&h->opts, opts);
    h->fd = -1;
    rw_buf_init(&h->in, 0);
    return h;
}

static void conn_close(rw_http *h) {
    if (h->ssl) {
        SSL_free(h->ssl); /* no close_notify: the connection is dropped, not ended politely */
        h->ssl = NULL;
    }
    if (h->fd >= 0) close(h->fd);
    h->fd = -1;
    free(h->conn_key);
    h->conn_key = NULL;
    rw_buf_reset(&h->in);
    h->in_off = 0;
}

void rw_http_free(rw_http *h) {
    if (!h) return;
    conn_close(h);
    rw_buf_free(&h->in);
    if (h->ctx) SSL_CTX_free(h->ctx);
    free(h->ca_bundle);
    free(h);
}

/* ---- the exchange's clock and failures ----------------------------------------------------- */

/* What went wrong, in libcurl's words (curl_easy_strerror), and the class util/http.c gives it. */
typedef enum {
    F_NONE,
    F_RESOLVE,
    F_CONNECT,
    F_TIMEOUT,
    F_SEND,
    F_RECV,
    F_PARTIAL,
    F_NOTHING,
    F_SSL_CONNECT,
    F_PEER_VERIFY,
    F_CACERT,
    F_WEIRD,
    F_CANCELED,
    F_BODY_OVER,
    F_HEADERS_OVER,
    F_NOMEM,
} failure;

static const char *failure_text(failure f) {
    switch (f) {
    case F_RESOLVE:
        return "Couldn't resolve host name";
    case F_CONNECT:
        return "Couldn't connect to server";
    case F_TIMEOUT:
        return "Timeout was reached";
    case F_SEND:
        return "Failed sending data to the peer";
    case F_RECV:
        return "Failure when receiving data from the peer";
    case F_PARTIAL:
        return "Transferred a partial file";
    case F_NOTHING:
        return "Server returned nothing (no headers, no data)";
    case F_SSL_CONNECT:
        return "SSL connect error";
    case F_PEER_VERIFY:
        return "SSL peer certificate or SSH remote key was not OK";
    case F_CACERT:
        return "Problem with the SSL CA cert (path? access rights?)";
    case F_WEIRD:
        return "Weird server reply";
    case F_NOMEM:
        return "Out of memory";
    default:
        return "Unknown error";
    }
}

static int failure_class(failure f) {
    switch (f) {
    case F_RESOLVE:
    case F_CONNECT:
    case F_TIMEOUT:
    case F_SEND:
    case F_RECV:
    case F_PARTIAL:
    case F_NOTHING:
    case F_SSL_CONNECT:
        return RW_ERETRY;
    default:
        return RW_EIO; /* a certificate refused is not worth another try, as with libcurl */
    }
}

typedef struct xfer {
    rw_http *h;
    int64_t start, deadline; /* monotonic ms */
    int64_t connect_deadline;
    int64_t stall_ms;      /* 0: none */
    int64_t last_progress; /* the last time a byte moved */
    bool stop_on_signal;
    const atomic_bool *stop; /* rw_http_request's */
    int64_t stop_seen;       /* when *stop was first seen set (0: not yet) */
    size_t received;         /* response bytes received (for the messages) */
    failure fail;
    char detail[256];
} xfer;

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static failure set_fail(xfer *x, failure f, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static failure set_fail(xfer *x, failure f, const char *fmt, ...) {
    x->fail = f;
    x->detail[0] = 0;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(x->detail, sizeof x->detail, fmt, ap);
        va_end(ap);
    }
    return f;
}

/* Is the exchange to be given up (stop_on_signal and a signal; the caller's stop flag set for the
 * grace with nothing of the answer come)? */
static bool stopped(xfer *x) {
    if (x->stop_on_signal && rw_signal_stop_requested()) return true;
    if (!x->stop || x->received > 0 || !atomic_load(x->stop)) return false;
    int64_t now = now_ms();
    if (!x->stop_seen) x->stop_seen = now;
    return now - x->stop_seen >= RW_HTTP_STOP_GRACE_MS;
}

/* Waits until fd is ready for events, within the limits. F_NONE when it is. */
static failure wait_fd(xfer *x, int fd, short events, bool connecting) {
    for (;;) {
        if (stopped(x)) return set_fail(x, F_CANCELED, NULL);
        int64_t now = now_ms();
        int64_t limit = x->deadline;
        if (connecting && x->connect_deadline < limit) limit = x->connect_deadline;
        if (now >= limit) {
            if (connecting)
                return set_fail(x, F_TIMEOUT, "Connection timed out after %lld milliseconds",
                                (long long)(now - x->start));
            return set_fail(x, F_TIMEOUT,
                            "Operation timed out after %lld milliseconds with %zu bytes received",
                            (long long)(now - x->start), x->received);
        }
        if (x->stall_ms > 0 && now - x->last_progress >= x->stall_ms)
            return set_fail(x, F_TIMEOUT,
                            "Operation too slow. Less than 1 bytes/sec transferred the last %lld "
                            "seconds",
                            (long long)(x->stall_ms / 1000));
        int64_t wait = limit - now;
        if (x->stall_ms > 0 && x->last_progress + x->stall_ms - now < wait)
            wait = x->last_progress + x->stall_ms - now;
        if ((x->stop_on_signal || x->stop) && wait > SIGNAL_SLICE_MS) wait = SIGNAL_SLICE_MS;
        if (wait > INT_MAX) wait = INT_MAX;
        struct pollfd pfd = {.fd = fd, .events = events};
        int n = poll(&pfd, 1, (int)wait);
        if (n > 0) return F_NONE; /* errors and hang-ups show in the read or write that follows */
        if (n < 0 && errno != EINTR) return set_fail(x, F_RECV, "poll: %s", strerror(errno));
    }
}

/* ---- TLS ----------------------------------------------------------------------------------- */

/* OpenSSL's socket BIO writes with write(2), which raises SIGPIPE when the peer has gone; this one
 * sends with MSG_NOSIGNAL, as libcurl does. */
static BIO_METHOD *nosig_method;
static pthread_once_t nosig_once = PTHREAD_ONCE_INIT;

static int nosig_write(BIO *b, const char *buf, size_t len, size_t *written) {
    int fd = (int)(intptr_t)BIO_get_data(b);
    BIO_clear_retry_flags(b);
    ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) BIO_set_retry_write(b);
        return 0;
    }
    *written = (size_t)n;
    return 1;
}

static int nosig_read(BIO *b, char *buf, size_t len, size_t *readbytes) {
    int fd = (int)(intptr_t)BIO_get_data(b);
    BIO_clear_retry_flags(b);
    ssize_t n = recv(fd, buf, len, 0);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) BIO_set_retry_read(b);
        return 0;
    }
    if (n == 0) BIO_set_flags(b, BIO_FLAGS_IN_EOF);
    *readbytes = (size_t)n;
    return n > 0;
}

static long nosig_ctrl(BIO *b, int cmd, long num, void *ptr) {
    (void)num, (void)ptr;
    switch (cmd) {
    case BIO_CTRL_FLUSH:
        return 1;
    case BIO_CTRL_EOF:
        return BIO_test_flags(b, BIO_FLAGS_IN_EOF) != 0;
    default:
        return 0;
    }
}

static int nosig_create(BIO *b) {
    BIO_set_init(b, 1);
    return 1;
}

static void nosig_init(void) {
    BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "rootwatch socket");
    if (!m) return;
    BIO_meth_set_write_ex(m, nosig_write);
    BIO_meth_set_read_ex(m, nosig_read);
    BIO_meth_set_ctrl(m, nosig_ctrl);
    BIO_meth_set_create(m, nosig_create);
    nosig_method = m;
}

/* OpenSSL's queue of errors as one line (the last error, which says most), then emptied. */
static void ssl_detail(char *out, size_t n) {
    unsigned long e, last = 0;
    while ((e = ERR_get_error()) != 0) last = e;
    if (last)
        ERR_error_string_n(last, out, n);
    else
        out[0] = 0;
}

static failure tls_context(xfer *x) {
    rw_http *h = x->h;
    if (h->ctx) return F_NONE;
    ERR_clear_error();
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) return set_fail(x, F_SSL_CONNECT, "cannot make a TLS context");
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_mode(ctx, SSL_MODE_AUTO_RETRY);
    char why[200];
    if (h->ca_bundle) {
        if (SSL_CTX_load_verify_locations(ctx, h->ca_bundle, NULL) != 1) {
            ssl_detail(why, sizeof why);
            SSL_CTX_free(ctx);
            return set_fail(x, F_CACERT, "error setting certificate file: %.150s", h->ca_bundle);
        }
    } else if (access(DEFAULT_CA_FILE, R_OK) == 0) {
        /* Debian's libcurl's own defaults (its CURLOPT_CAINFO and CAPATH), which util/http.c
         * uses; bootstrap points AWS_CA_BUNDLE at Amazon Linux's bundle where this file is not */
        if (SSL_CTX_load_verify_locations(ctx, DEFAULT_CA_FILE, DEFAULT_CA_DIR) != 1) {
            ssl_detail(why, sizeof why);
            SSL_CTX_free(ctx);
            return set_fail(x, F_CACERT, "error setting certificate file: %s", DEFAULT_CA_FILE);
        }
    } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) { /* OpenSSL's: SSL_CERT_FILE, ... */
        ssl_detail(why, sizeof why);
        SSL_CTX_free(ctx);
        return set_fail(x, F_CACERT, "cannot load the system's CA certificates: %s", why);
    }
    h->ctx = ctx;
    return F_NONE;
}

static failure tls_handshake(xfer *x, const url_parts *u) {
    rw_http *h = x->h;
    failure f = tls_context(x);
    if (f) return f;
    pthread_once(&nosig_once, nosig_init);
    if (!nosig_method) return set_fail(x, F_SSL_CONNECT, "cannot make a socket BIO");
    ERR_clear_error();
    SSL *ssl = SSL_new(h->ctx);
    BIO *bio = ssl ? BIO_new(nosig_method) : NULL;
    if (!bio) {
        if (ssl) SSL_free(ssl);
        return set_fail(x, F_SSL_CONNECT, "cannot make a TLS connection");
    }
    BIO_set_data(bio, (void *)(intptr_t)h->fd);
    SSL_set_bio(ssl, bio, bio);
    h->ssl = ssl;
    /* the name checked: an IP address against the certificate's addresses, else the DNS name */
    char name[INET6_ADDRSTRLEN + 1];
    size_t n = strlen(u->host);
    bool ip = false;
    if (u->host[0] == '[' && n >= 2 && n - 2 < sizeof name) {
        memcpy(name, u->host + 1, n - 2);
        name[n - 2] = 0;
        ip = true;
    } else {
        snprintf(name, sizeof name, "%s", n < sizeof name ? u->host : "");
        struct in_addr a4;
        ip = inet_pton(AF_INET, u->host, &a4) == 1;
    }
    int ok;
    if (ip) {
        ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name);
    } else {
        ok = SSL_set_tlsext_host_name(ssl, u->host) && SSL_set1_host(ssl, u->host);
        SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    }
    if (ok != 1) return set_fail(x, F_SSL_CONNECT, "cannot set the host name to verify");
    for (;;) {
        ERR_clear_error();
        int r = SSL_connect(ssl);
        if (r == 1) break;
        int e = SSL_get_error(ssl, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            f = wait_fd(x, h->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, true);
            if (f) return f;
            continue;
        }
        long v = SSL_get_verify_result(ssl);
        if (v != X509_V_OK)
            return set_fail(x, F_PEER_VERIFY, "SSL certificate problem: %s",
                            X509_verify_cert_error_string(v));
        char why[200];
        ssl_detail(why, sizeof why);
        if (!*why && e == SSL_ERROR_SYSCALL)
            snprintf(why, sizeof why, "%s", errno ? strerror(errno) : "the connection was closed");
        return set_fail(x, F_SSL_CONNECT, "TLS handshake: %s", why);
    }
    x->last_progress = now_ms();
    return F_NONE;
}

/* ---- connecting ---------------------------------------------------------------------------- */

static failure tcp_connect(xfer *x, const url_parts *u) {
    rw_http *h = x->h;
    char host[INET6_ADDRSTRLEN + 1];
    size_t n = strlen(u->host);
    const char *name = u->host;
    if (u->host[0] == '[') {
        if (n - 2 >= sizeof host) return set_fail(x, F_RESOLVE, "Bad hostname");
        memcpy(host, u->host + 1, n - 2);
        host[n - 2] = 0;
        name = host;
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *ai = NULL;
    int g = getaddrinfo(name, u->port, &hints, &ai);
    if (g != 0)
        return set_fail(x, F_RESOLVE, "Could not resolve host: %s (%s)", u->host,
                        g == EAI_SYSTEM ? strerror(errno) : gai_strerror(g));
    int err = 0;
    failure f = F_NONE;
    for (struct addrinfo *a = ai; a; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0) {
            err = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
        int r = connect(fd, a->ai_addr, a->ai_addrlen);
        if (r < 0 && errno == EINPROGRESS) {
            f = wait_fd(x, fd, POLLOUT, true);
            if (f) {
                close(fd);
                break; /* out of time, or stopped: no other address is tried */
            }
            socklen_t sl = sizeof err;
            if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) < 0) err = errno;
            r = err ? -1 : 0;
        } else if (r < 0) {
            err = errno;
        }
        if (r == 0) {
            h->fd = fd;
            break;
        }
        close(fd);
    }
    freeaddrinfo(ai);
    if (f) return f;
    if (h->fd < 0)
        return set_fail(x, F_CONNECT, "Failed to connect to %s port %s: %s", u->host, u->port,
                        strerror(err ? err : ECONNREFUSED));
    x->last_progress = now_ms();
    return F_NONE;
}

/* Is the kept connection still worth a request? Not when the server has closed it or sent what
 * nobody asked for; a TLS 1.3 session ticket that came after the handshake is taken in, not a
 * reason to drop it. */
static bool conn_alive(rw_http *h) {
    if (h->in_off < h->in.len) return false;
    struct pollfd pfd = {.fd = h->fd, .events = POLLIN};
    if (poll(&pfd, 1, 0) <= 0) return true;
    if (!h->ssl) return false;
    char c;
    size_t n = 0;
    ERR_clear_error();
    int r = SSL_peek_ex(h->ssl, &c, 1, &n);
    int e = r == 1 ? SSL_ERROR_NONE : SSL_get_error(h->ssl, r);
    ERR_clear_error();
    return r != 1 && e == SSL_ERROR_WANT_READ;
}

/* ---- bytes in and out ---------------------------------------------------------------------- */

static failure send_bytes(xfer *x, const char *p, size_t n) {
    rw_http *h = x->h;
    while (n > 0) {
        if (stopped(x)) return set_fail(x, F_CANCELED, NULL);
        size_t w = 0;
        if (h->ssl) {
            ERR_clear_error();
            int r = SSL_write_ex(h->ssl, p, n, &w);
            if (r != 1) {
                int e = SSL_get_error(h->ssl, 0);
                if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
                    failure f =
                        wait_fd(x, h->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, false);
                    if (f) return f;
                    continue;
                }
                char why[200];
                ssl_detail(why, sizeof why);
                return set_fail(x, F_SEND, "%s", *why ? why : strerror(errno ? errno : EPIPE));
            }
        } else {
            ssize_t r = send(h->fd, p, n, MSG_NOSIGNAL);
            if (r < 0) {
                if (errno == EINTR) continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK) {
                    failure f = wait_fd(x, h->fd, POLLOUT, false);
                    if (f) return f;
                    continue;
                }
                return set_fail(x, F_SEND, "Send failure: %s", strerror(errno));
            }
            w = (size_t)r;
        }
        p += w;
        n -= w;
        x->last_progress = now_ms();
    }
    return F_NONE;
}

/* Reads what comes next into h->in. *eof when the peer closed the connection. */
static failure fill(xfer *x, bool *eof) {
    rw_http *h = x->h;
    *eof = false;
    if (h->in_off > 0 && h->in_off == h->in.len) {
        rw_buf_reset(&h->in);
        h->in_off = 0;
    }
    if (rw_buf_reserve(&h->in, READ_CHUNK)) {
        rw_error_clear();
        return set_fail(x, F_NOMEM, NULL);
    }
    for (;;) {
        if (stopped(x)) return set_fail(x, F_CANCELED, NULL);
        char *dst = h->in.data + h->in.len;
        size_t got = 0;
        if (h->ssl) {
            /* what OpenSSL holds already decrypted needs no wait */
            ERR_clear_error();
            int r = SSL_read_ex(h->ssl, dst, READ_CHUNK, &got);
            if (r != 1) {
                int e = SSL_get_error(h->ssl, 0);
                if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
                    failure f =
                        wait_fd(x, h->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, false);
                    if (f) return f;
                    continue;
                }
                if (e == SSL_ERROR_ZERO_RETURN ||
                    (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 &&
                     BIO_eof(SSL_get_rbio(h->ssl)))) {
                    *eof = true; /* a close, with or without TLS's close_notify */
                    ERR_clear_error();
                    return F_NONE;
                }
                char why[200];
                ssl_detail(why, sizeof why);
                return set_fail(x, F_RECV, "%s", *why ? why : strerror(errno ? errno : ECONNRESET));
            }
        } else {
            ssize_t r = recv(h->fd, dst, READ_CHUNK, 0);
            if (r < 0) {
                if (errno == EINTR) continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK) {
                    failure f = wait_fd(x, h->fd, POLLIN, false);
                    if (f) return f;
                    continue;
                }
                return set_fail(x, F_RECV, "Recv failure: %s", strerror(errno));
            }
            if (r == 0) {
                *eof = true;
                return F_NONE;
            }
            got = (size_t)r;
        }
        h->in.len += got;
        h->in.data[h->in.len] = 0;
        x->received += got;
        x->last_progress = now_ms();
        return F_NONE;
    }
}

/* The next line (without its CRLF or LF) in *line, *n; it stays valid until the next fill. */
static failure read_line(xfer *x, size_t max, const char **line, size_t *n, bool *eof) {
    rw_http *h = x->h;
    size_t scanned = 0;
    for (;;) {
        const char *s = h->in.data ? h->in.data + h->in_off : NULL;
        size_t avail = h->in.len - h->in_off;
        const char *nl = s ? memchr(s + scanned, '\n', avail - scanned) : NULL;
        if (nl) {
            size_t len = (size_t)(nl - s);
            h->in_off += len + 1;
            if (len > 0 && s[len - 1] == '\r') len--;
            *line = s;
            *n = len;
            *eof = false;
            return F_NONE;
        }
        scanned = avail;
        if (avail > max) return set_fail(x, F_HEADERS_OVER, NULL);
        /* keep the partial line at the buffer's start so that it can grow */
        if (h->in_off > 0) {
            memmove(h->in.data, h->in.data + h->in_off, avail);
            h->in.len = avail;
            h->in_off = 0;
        }
        failure f = fill(x, eof);
        if (f) return f;
        if (*eof) return F_NONE;
    }
}

/* ---- the response -------------------------------------------------------------------------- */

/* Does the comma-separated header value hold token (case aside)? */
static bool value_has_token(const char *v, size_t n, const char *token) {
    size_t tl = strlen(token);
    const char *p = v, *end = v + n;
    while (p < end) {
        while (p < end && (rw_http_is_ws(*p) || *p == ',')) p++;
        const char *s = p;
        while (p < end && *p != ',') p++;
        const char *e = p;
        while (e > s && rw_http_is_ws(e[-1])) e--;
        if ((size_t)(e - s) == tl && strncasecmp(s, token, tl) == 0) return true;
    }
    return false;
}

typedef struct response_state {
    bool head; /* a HEAD request: no body whatever the headers say */
    size_t max_body;
    bool keep;      /* the connection may serve the next request */
    bool got_any;   /* a byte of the response came */
    bool body_over; /* for the message: the body passed max_body */
} response_state;

static failure body_bytes(xfer *x, rw_http_response *resp, response_state *st, const char *p,
                          size_t n) {
    if (n > st->max_body - resp->body.len) {
        st->body_over = true;
        return set_fail(x, F_BODY_OVER, NULL);
    }
    if (rw_buf_append(&resp->body, p, n)) {
        rw_error_clear();
        st->body_over = true;
        return set_fail(x, F_BODY_OVER, NULL);
    }
    return F_NONE;
}

/* n bytes of body (or, with until_close, all until the peer closes). */
static failure read_body_bytes(xfer *x, rw_http_response *resp, response_state *st, uint64_t n,
                               bool until_close) {
    rw_http *h = x->h;
    while (until_close || n > 0) {
        size_t avail = h->in.len - h->in_off;
        if (avail == 0) {
            bool eof;
            failure f = fill(x, &eof);
            if (f) return f;
            if (eof) {
                if (until_close) return F_NONE;
                return set_fail(x, F_PARTIAL, "end of response with %llu bytes missing",
                                (unsigned long long)n);
            }
            continue;
        }
        size_t take = until_close || avail < n ? avail : (size_t)n;
        failure f = body_bytes(x, resp, st, h->in.data + h->in_off, take);
        if (f) return f;
        h->in_off += take;
        if (!until_close) n -= take;
    }
    return F_NONE;
}

static failure read_chunked(xfer *x, rw_http_response *resp, response_state *st) {
    for (;;) {
        const char *line;
        size_t n;
        bool eof;
        failure f = read_line(x, 4096, &line, &n, &eof);
        if (f == F_HEADERS_OVER) return set_fail(x, F_RECV, "a chunk size line too long");
        if (f) return f;
        if (eof) return set_fail(x, F_PARTIAL, "end of response inside a chunked body");
        uint64_t size = 0;
        size_t i = 0;
        for (; i < n && hexval(line[i]) >= 0; i++) {
            if (size > (UINT64_MAX >> 4)) return set_fail(x, F_RECV, "a chunk size too large");
            size = size * 16 + (uint64_t)hexval(line[i]);
        }
        if (i == 0 || (i < n && line[i] != ';' && !rw_http_is_ws(line[i])))
            return set_fail(x, F_RECV,
                            "Illegal or missing hexadecimal sequence in chunked-encoding");
        if (size == 0) break;
        if (size > st->max_body - resp->body.len) {
            st->body_over = true;
            return set_fail(x, F_BODY_OVER, NULL);
        }
        f = read_body_bytes(x, resp, st, size, false);
        if (f) return f;
        f = read_line(x, 16, &line, &n, &eof);
        if (f == F_HEADERS_OVER || (!f && !eof && n != 0))
            return set_fail(x, F_RECV, "a chunk not followed by its line end");
        if (f) return f;
        if (eof) return set_fail(x, F_PARTIAL, "end of response inside a chunked body");
    }
    /* trailers, stored as headers (libcurl passes them to the header callback too) */
    for (;;) {
        const char *line;
        size_t n;
        bool eof;
        failure f = read_line(x, HTTP_MAX_HEADERS, &line, &n, &eof);
        if (f) return f;
        if (eof) return set_fail(x, F_PARTIAL, "end of response inside the trailers");
        if (n == 0) return F_NONE;
        if (rw_http_store_header(&resp->headers, line, n)) {
            rw_error_clear();
            return set_fail(x, F_HEADERS_OVER, NULL);
        }
    }
}

static failure read_response(xfer *x, rw_http_response *resp, response_state *st) {
    rw_http *h = x->h;
    for (;;) { /* 1xx responses come before the real one */
        const char *line;
        size_t n;
        bool eof;
        failure f = read_line(x, HTTP_MAX_HEADERS, &line, &n, &eof);
        if (f) return f;
        if (eof) {
            if (h->in.len > h->in_off || st->got_any)
                return set_fail(x, F_RECV, "the connection closed inside the status line");
            return set_fail(x, F_NOTHING, NULL);
        }
        st->got_any = true;
        int major = 0, minor = 0, status = 0;
        if (n < 12 || memcmp(line, "HTTP/", 5) != 0 || !isdigit((unsigned char)line[5]) ||
            line[6] != '.' || !isdigit((unsigned char)line[7]) || line[8] != ' ' ||
            !isdigit((unsigned char)line[9]) || !isdigit((unsigned char)line[10]) ||
            !isdigit((unsigned char)line[11]) || (n > 12 && line[12] != ' '))
            return set_fail(x, F_WEIRD, "Unsupported HTTP version or an unreadable status line");
        major = line[5] - '0';
        minor = line[7] - '0';
        status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
        if (major != 1) return set_fail(x, F_WEIRD, "Unsupported HTTP version");
        /* a new response: forget the last one's headers */
        rw_buf_reset(&resp->headers);
        rw_buf_reset(&resp->body);
        bool chunked = false, has_length = false, conn_close = minor == 0, keep_alive = false;
        uint64_t length = 0;
        for (;;) {
            f = read_line(x, HTTP_MAX_HEADERS, &line, &n, &eof);
            if (f) return f;
            if (eof) return set_fail(x, F_RECV, "the connection closed inside the headers");
            if (n == 0) break;
            if (rw_http_store_header(&resp->headers, line, n)) {
                rw_error_clear();
                return set_fail(x, F_HEADERS_OVER, NULL);
            }
            const char *colon = memchr(line, ':', n);
            if (!colon || line[0] == ' ' || line[0] == '\t') continue;
            size_t nl = (size_t)(colon - line);
            while (nl > 0 && rw_http_is_ws(line[nl - 1])) nl--;
            const char *v = colon + 1, *ve = line + n;
            while (v < ve && rw_http_is_ws(*v)) v++;
            while (ve > v && rw_http_is_ws(ve[-1])) ve--;
            size_t vl = (size_t)(ve - v);
            if (nl == 14 && strncasecmp(line, "content-length", 14) == 0) {
                uint64_t len = 0;
                if (vl == 0) return set_fail(x, F_WEIRD, "an empty Content-Length");
                for (size_t i = 0; i < vl; i++) {
                    if (!isdigit((unsigned char)v[i]) || len > (UINT64_MAX - 9) / 10)
                        return set_fail(x, F_WEIRD, "a Content-Length that is not a number");
                    len = len * 10 + (uint64_t)(v[i] - '0');
                }
                if (has_length && len != length)
                    return set_fail(x, F_WEIRD, "two different Content-Lengths");
                has_length = true;
                length = len;
            } else if (nl == 17 && strncasecmp(line, "transfer-encoding", 17) == 0) {
                if (value_has_token(v, vl, "chunked")) chunked = true;
            } else if (nl == 10 && strncasecmp(line, "connection", 10) == 0) {
                if (value_has_token(v, vl, "close")) conn_close = true;
                if (value_has_token(v, vl, "keep-alive")) keep_alive = true;
            }
        }
        if (minor == 0 && keep_alive) conn_close = false;
        if (status >= 100 && status < 200) {
            if (status == 101) return set_fail(x, F_WEIRD, "a protocol switch was not asked for");
            continue;
        }
        resp->status = status;
        bool no_body = st->head || status == 204 || status == 304;
        if (no_body) {
            f = F_NONE;
        } else if (chunked) {
            f = read_chunked(x, resp, st);
        } else if (has_length) {
            if (length > st->max_body) {
                st->body_over = true;
                return set_fail(x, F_BODY_OVER, NULL);
            }
            f = read_body_bytes(x, resp, st, length, false);
        } else {
            f = read_body_bytes(x, resp, st, 0, true);
            conn_close = true;
        }
        if (f) return f;
        st->keep = !conn_close && h->in.len == h->in_off; /* nothing unasked-for is waiting */
        return F_NONE;
    }
}

/* ---- one exchange -------------------------------------------------------------------------- */

static bool caller_has(const rw_http_request *req, const char *name) {
    for (size_t i = 0; i < req->nheaders; i++)
        if (strcasecmp(req->headers[i].name, name) == 0) return true;
    return false;
}

static void put_base64(rw_buf *b, const unsigned char *p, size_t n) {
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16;
        if (i + 1 < n) v |= (unsigned)p[i + 1] << 8;
        if (i + 2 < n) v |= p[i + 2];
        char out[4] = {tbl[(v >> 18) & 63], tbl[(v >> 12) & 63],
                       i + 1 < n ? tbl[(v >> 6) & 63] : '=', i + 2 < n ? tbl[v & 63] : '='};
        rw_buf_append(b, out, 4);
    }
}

/* The request's head, as libcurl would write it for util/http.c's options. */
static void build_head(rw_buf *b, const char *method, const url_parts *u,
                       const rw_http_request *req, bool send_body) {
    rw_buf_printf(b, "%s %s HTTP/1.1\r\n", method, u->target);
    if (!caller_has(req, "host")) {
        bool default_port = (strcmp(u->scheme, "https") == 0 && u->portnum == 443) ||
                            (strcmp(u->scheme, "http") == 0 && u->portnum == 80);
        if (default_port)
            rw_buf_printf(b, "Host: %s\r\n", u->host);
        else
            rw_buf_printf(b, "Host: %s:%u\r\n", u->host, u->portnum);
    }
    if (u->user && !caller_has(req, "authorization")) {
        /* libcurl's Basic authentication from the URL's user information */
        rw_buf cred;
        rw_buf_init(&cred, 0);
        rw_buf_set_secret(&cred);
        rw_buf_printf(&cred, "%s:%s", u->user, u->password ? u->password : "");
        rw_buf_puts(b, "Authorization: Basic ");
        put_base64(b, (const unsigned char *)cred.data, cred.len);
        rw_buf_puts(b, "\r\n");
        rw_buf_free(&cred);
    }
    if (!caller_has(req, "user-agent")) rw_buf_puts(b, "User-Agent: rootwatch/" RW_VERSION "\r\n");
    if (!caller_has(req, "accept")) rw_buf_puts(b, "Accept: */*\r\n");
    for (size_t i = 0; i < req->nheaders; i++) {
        const rw_http_header *hd = &req->headers[i];
        if (strcasecmp(hd->name, "content-length") == 0 ||
            strcasecmp(hd->name, "transfer-encoding") == 0)
            continue; /* the length is this file's to say */
        if (hd->value && *hd->value)
            rw_buf_printf(b, "%s: %s\r\n", hd->name, hd->value);
        else
            rw_buf_printf(b, "%s:\r\n", hd->name); /* as libcurl sends "name;" */
    }
    if (send_body) rw_buf_printf(b, "Content-Length: %zu\r\n", req->body_len);
    rw_buf_puts(b, "\r\n");
}

int rw_http_do(rw_http *h, const rw_http_request *req, rw_http_response *resp) {
    resp->status = 0;
    rw_buf_reset(&resp->body);
    rw_buf_reset(&resp->headers);
    const char *method = req->method ? req->method : "GET";
    if (!rw_http_valid_method(method))
        return rw_error_set(RW_EINVAL, "not an HTTP method: %.16s", method);

    url_parts u;
    int rc = url_parse(&u, req->url);
    if (rc) return rc;
    rw_buf head;
    rw_buf_init(&head, 0);
    rw_buf_set_secret(&head); /* headers hold signatures and tokens */
    rc = rw_http_check_scheme(req, method, u.scheme, u.host, u.port, NULL);
    if (rc) goto done;
    bool tls = strcmp(u.scheme, "https") == 0;
    if (u.portnum == 0) {
        rc = bad_url("Port number was not a decimal number between 0 and 65535");
        goto done;
    }
    rc = rw_http_check_request(req, method);
    if (rc) goto done;
    bool is_head = strcmp(method, "HEAD") == 0;
    bool send_body = !is_head && (req->body_len > 0 || strcmp(method, "POST") == 0 ||
                                  strcmp(method, "PUT") == 0);
    build_head(&head, method, &u, req, send_body);

    long total_ms = req->timeout_ms > 0 ? req->timeout_ms : h->opts.timeout_ms;
    long connect_ms =
        req->connect_timeout_ms > 0 ? req->connect_timeout_ms : h->opts.connect_timeout_ms;
    xfer x = {.h = h, .stop_on_signal = req->stop_on_signal, .stop = req->stop};
    x.start = x.last_progress = now_ms();
    x.deadline = x.start + total_ms;
    x.connect_deadline = x.start + connect_ms;
    if (h->opts.stall_timeout_ms > 0 && h->opts.stall_timeout_ms < total_ms)
        x.stall_ms = (h->opts.stall_timeout_ms + 999) / 1000 * 1000;

    char key[600];
    snprintf(key, sizeof key, "%s://%s:%s", u.scheme, u.host, u.port);
    response_state st = {.head = is_head, .max_body = h->opts.max_body};
    failure f = F_NONE;
    for (int attempt = 0; attempt < 2; attempt++) {
        bool reused = h->fd >= 0 && h->conn_key && strcmp(h->conn_key, key) == 0 &&
                      (attempt > 0 || conn_alive(h));
        if (!reused) {
            conn_close(h);
            f = tcp_connect(&x, &u);
            if (!f && tls) f = tls_handshake(&x, &u);
            if (f) break;
            h->conn_key = rw_xstrdup(key);
        }
        st = (response_state){.head = is_head, .max_body = h->opts.max_body};
        rw_buf_reset(&resp->body);
        rw_buf_reset(&resp->headers);
        resp->status = 0;
        f = send_bytes(&x, head.data, head.len);
        if (!f && send_body && req->body_len > 0) f = send_bytes(&x, req->body, req->body_len);
        if (!f) f = read_response(&x, resp, &st);
        /* a kept connection the server had closed: once more on a new one, as libcurl does */
        if (f && reused && !st.got_any && (f == F_SEND || f == F_RECV || f == F_NOTHING)) {
            conn_close(h);
            continue;
        }
        break;
    }
    if (f || !st.keep) conn_close(h);

    if (!f) {
        rw_buf_append(&resp->body, "", 0); /* both buffers are strings, even when empty */
        rw_buf_append(&resp->headers, "", 0);
        rc = RW_OK;
        goto done;
    }
    if (f == F_BODY_OVER) {
        rc = rw_error_set(RW_ELIMIT,
                          "%s %s://%s:%s: the response body is over the limit of %zu bytes", method,
                          u.scheme, u.host, u.port, h->opts.max_body);
        goto done;
    }
    resp->status = 0;
    if (f == F_HEADERS_OVER) {
        rc = rw_error_set(RW_ELIMIT, "%s %s://%s:%s: the response headers are over %zu bytes",
                          method, u.scheme, u.host, u.port, (size_t)HTTP_MAX_HEADERS);
        goto done;
    }
    if (f == F_CANCELED && !rw_signal_stop_requested()) {
        rc = rw_error_set(RW_ECANCELED, "%s %s://%s:%s: given up: asked to stop", method, u.scheme,
                          u.host, u.port);
        goto done;
    }
    if (f == F_CANCELED) {
        rc = rw_error_set(RW_ECANCELED, "%s %s://%s:%s: given up: stopped by %s", method, u.scheme,
                          u.host, u.port, rw_signal_name(rw_signal_stop_requested()));
        goto done;
    }
    rc = failure_class(f);
    if (x.detail[0])
        rw_error_set(rc, "%s %s://%s:%s: %s (%s)", method, u.scheme, u.host, u.port,
                     failure_text(f), x.detail);
    else
        rw_error_set(rc, "%s %s://%s:%s: %s", method, u.scheme, u.host, u.port, failure_text(f));

done:
    rw_buf_free(&head);
    url_parts_free(&u);
    return rc;
}
