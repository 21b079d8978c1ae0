/* SNS HTTP/S messages: parsing, the string to sign, the certificate URL and signature checks, and
 * a cache of signing certificates (sns_message.h). */
#include "aws/sns_message.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util/err.h"
#include "util/http.h"
#include "util/json.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

#define CERT_MAX_BODY ((size_t)64 << 10)
#define CONFIRM_MAX_BODY ((size_t)64 << 10)
#define DEFAULT_CACHE 16
#define DEFAULT_TIMEOUT_MS 5000L
#define NEGATIVE_TTL_S                                                                             \
    60 /* a certificate URL the host refused is not asked for again this long                      \
        */
#define MAX_URL 2048
#define MIN_RSA_BITS 2048
#define DEFAULT_FETCHES_PER_MINUTE 30
#define FETCH_WAIT_MS 1000 /* a certificate fetch waits this long for another to end */

/* ---- parsing ------------------------------------------------------------------------------- */

void rw_sns_message_free(rw_sns_message *m) {
    if (!m) return;
    free(m->message_id);
    free(m->topic_arn);
    free(m->subject);
    free(m->message);
    free(m->timestamp);
    free(m->signature_version);
    free(m->signature);
    free(m->signing_cert_url);
    free(m->subscribe_url);
    free(m->token);
    free(m);
}

const char *rw_sns_type_name(rw_sns_type t) {
    switch (t) {
    case RW_SNS_NOTIFICATION:
        return "Notification";
    case RW_SNS_SUBSCRIPTION_CONFIRMATION:
        return "SubscriptionConfirmation";
    case RW_SNS_UNSUBSCRIBE_CONFIRMATION:
        return "UnsubscribeConfirmation";
    }
    return "?";
}

/* Appends at most 60 bytes of s (valid UTF-8, control characters as '?') for a message. */
static void quote(rw_buf *b, const char *s, size_t n) {
    size_t max = n > 60 ? 60 : n;
    size_t ok = rw_json_utf8_valid_prefix(s, max);
    for (size_t i = 0; i < ok; i++) rw_buf_putc(b, (unsigned char)s[i] < 0x20 ? '?' : s[i]);
    if (ok < n) rw_buf_puts(b, "...");
}

/* Copies the string member key of obj into *out. required: absent is an error. A member of another
 * type, one that appears twice, or (unless nul_ok) one holding a NUL character is an error. */
static int take_str(const rw_json *obj, const char *key, bool required, bool nul_ok, char **out,
                    size_t *len) {
    *out = NULL;
    if (len) *len = 0;
    size_t n = rw_json_count(obj, key);
    if (n > 1) return rw_error_set(RW_EINVAL, "%s appears %zu times", key, n);
    const rw_json *v = rw_json_get(obj, key);
    if (!v) return required ? rw_error_set(RW_EINVAL, "no %s", key) : RW_OK;
    if (v->type != RW_JSON_STRING)
        return rw_error_set(RW_EINVAL, "%s is %s, not a string", key, rw_json_type_name(v->type));
    if (!nul_ok && rw_json_str_has_nul(v))
        return rw_error_set(RW_EINVAL, "%s holds a NUL character", key);
    *out = rw_xmalloc((size_t)v->len + 1);
    memcpy(*out, v->str, v->len);
    (*out)[v->len] = 0;
    if (len) *len = v->len;
    return RW_OK;
}

int rw_sns_message_parse(rw_sns_message **out, const char *body, size_t len) {
    *out = NULL;
    if (len > RW_SNS_MAX_BODY)
        return rw_error_set(RW_ELIMIT, "the body is %zu bytes, over the limit of %zu", len,
                            RW_SNS_MAX_BODY);
    if (len == 0) return rw_error_set(RW_EINVAL, "the body is empty");
    rw_json_opts jo = {.max_depth = 64, .max_memory = 16 * RW_SNS_MAX_BODY};
    rw_json_doc *doc = rw_json_doc_new(&jo);
    int rc = RW_OK;
    rw_sns_message *m = NULL;
    if (rw_json_doc_parse(doc, body, len) != RW_OK) {
        rc = rw_error_wrap(RW_EINVAL, "not JSON");
        goto done;
    }
    const rw_json *root = rw_json_doc_root(doc);
    if (root->type != RW_JSON_OBJECT) {
        rc = rw_error_set(RW_EINVAL, "%s, not a JSON object", rw_json_type_name(root->type));
        goto done;
    }
    m = rw_xcalloc(1, sizeof *m);
    char *type = NULL;
    if ((rc = take_str(root, "Type", true, false, &type, NULL))) goto done;
    if (!strcmp(type, "Notification")) {
        m->type = RW_SNS_NOTIFICATION;
    } else if (!strcmp(type, "SubscriptionConfirmation")) {
        m->type = RW_SNS_SUBSCRIPTION_CONFIRMATION;
    } else if (!strcmp(type, "UnsubscribeConfirmation")) {
        m->type = RW_SNS_UNSUBSCRIBE_CONFIRMATION;
    } else {
        rw_buf b;
        rw_buf_init(&b, 0);
        quote(&b, type, strlen(type));
        rc = rw_error_set(RW_EINVAL,
                          "Type '%s' is not a message SNS posts (Notification, "
                          "SubscriptionConfirmation, UnsubscribeConfirmation)",
                          b.data);
        rw_buf_free(&b);
        free(type);
        goto done;
    }
    free(type);
    bool confirmation = m->type != RW_SNS_NOTIFICATION;
    if ((rc = take_str(root, "MessageId", true, false, &m->message_id, NULL)) ||
        (rc = take_str(root, "TopicArn", true, false, &m->topic_arn, NULL)) ||
        (rc = take_str(root, "Message", true, true, &m->message, &m->message_len)) ||
        (rc = take_str(root, "Timestamp", true, false, &m->timestamp, NULL)) ||
        (rc = take_str(root, "SignatureVersion", false, false, &m->signature_version, NULL)) ||
        (rc = take_str(root, "Signature", false, false, &m->signature, NULL)) ||
        (rc = take_str(root, "SigningCertURL", false, false, &m->signing_cert_url, NULL)))
        goto done;
    if (!confirmation) {
        if ((rc = take_str(root, "Subject", false, false, &m->subject, NULL))) goto done;
    } else {
        if ((rc = take_str(root, "SubscribeURL", true, false, &m->subscribe_url, NULL)) ||
            (rc = take_str(root, "Token", true, false, &m->token, NULL)))
            goto done;
    }
    int64_t t;
    if (rw_time_parse(m->timestamp, &t) != RW_OK || strlen(m->timestamp) < 20) {
        rw_buf b;
        rw_buf_init(&b, 0);
        quote(&b, m->timestamp, strlen(m->timestamp));
        rc = rw_error_set(RW_EINVAL, "Timestamp '%s' is not a time (2026-01-02T03:04:05.678Z)",
                          b.data);
        rw_buf_free(&b);
        goto done;
    }
    if (!*m->message_id) {
        rc = rw_error_set(RW_EINVAL, "MessageId is empty");
        goto done;
    }
    if (!rw_sns_topic_arn_valid(m->topic_arn)) {
        rw_buf b;
        rw_buf_init(&b, 0);
        quote(&b, m->topic_arn, strlen(m->topic_arn));
        rc = rw_error_set(RW_EINVAL, "TopicArn '%s' is not an SNS topic's ARN", b.data);
        rw_buf_free(&b);
        goto done;
    }
done:
    rw_json_doc_free(doc);
    if (rc != RW_OK) {
        rw_sns_message_free(m);
        return rc;
    }
    *out = m;
    return RW_OK;
}

/* ---- the string to sign -------------------------------------------------------------------- */

static void field(rw_buf *b, const char *name, const char *v, size_t n) {
    rw_buf_puts(b, name);
    rw_buf_putc(b, '\n');
    rw_buf_append(b, v, n);
    rw_buf_putc(b, '\n');
}

int rw_sns_string_to_sign(const rw_sns_message *m, rw_buf *out) {
    size_t start = out->len;
    field(out, "Message", m->message, m->message_len);
    field(out, "MessageId", m->message_id, strlen(m->message_id));
    if (m->type == RW_SNS_NOTIFICATION) {
        if (m->subject) field(out, "Subject", m->subject, strlen(m->subject));
    } else {
        field(out, "SubscribeURL", m->subscribe_url, strlen(m->subscribe_url));
    }
    field(out, "Timestamp", m->timestamp, strlen(m->timestamp));
    if (m->type != RW_SNS_NOTIFICATION) field(out, "Token", m->token, strlen(m->token));
    field(out, "TopicArn", m->topic_arn, strlen(m->topic_arn));
    field(out, "Type", rw_sns_type_name(m->type), strlen(rw_sns_type_name(m->type)));
    /* the appends fail only past the buffer's maximum; say so once */
    if (out->len == start || out->data[out->len - 1] != '\n')
        return rw_error_set(RW_ELIMIT, "the string to sign is over the buffer's limit");
    return RW_OK;
}

/* ---- URLs ---------------------------------------------------------------------------------- */

static bool lower_or_digit(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* A region's name: two letters, then dash-separated words of letters, the last a number
 * (us-east-1, us-gov-west-1, cn-north-1, ap-southeast-5). */
static bool region_ok(const char *s, size_t n) {
    if (n < 4 || n > 32) return false;
    if (!(s[0] >= 'a' && s[0] <= 'z' && s[1] >= 'a' && s[1] <= 'z' && s[2] == '-')) return false;
    size_t last_dash = 2;
    for (size_t i = 3; i < n; i++) {
        if (s[i] == '-') {
            if (s[i - 1] == '-') return false;
            last_dash = i;
        } else if (!lower_or_digit(s[i])) {
            return false;
        }
    }
    if (last_dash == n - 1 || n - last_dash - 1 > 2) return false;
    for (size_t i = last_dash + 1; i < n; i++)
        if (!(s[i] >= '0' && s[i] <= '9')) return false;
    for (size_t i = 3; i < last_dash; i++)
        if (!(s[i] == '-' || (s[i] >= 'a' && s[i] <= 'z'))) return false;
    return last_dash > 3;
}

/* sns.<region>.amazonaws.com or sns.<region>.amazonaws.com.cn, exactly. */
static bool sns_host_ok(const char *h, size_t n) {
    static const char *const suffixes[] = {".amazonaws.com", ".amazonaws.com.cn"};
    if (n < 4 || memcmp(h, "sns.", 4) != 0) return false;
    for (size_t i = 0; i < 2; i++) {
        size_t sl = strlen(suffixes[i]);
        if (n > 4 + sl && memcmp(h + n - sl, suffixes[i], sl) == 0 && region_ok(h + 4, n - 4 - sl))
            return true;
    }
    return false;
}

/* Splits https://HOST/REST: *host and *hn, *rest (from the '/'). RW_EINVAL saying why not (what
 * names the URL: "SigningCertURL"). */
static int split_https(const char *url, const char *what, const char **host, size_t *hn,
                       const char **rest) {
    size_t n = strlen(url);
    if (n > MAX_URL) return rw_error_set(RW_EINVAL, "%s is %zu bytes long", what, n);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f || url[i] == '\\')
            return rw_error_set(RW_EINVAL,
                                "%s holds a space, a control character, a backslash or "
                                "a non-ASCII byte",
                                what);
    if (strncmp(url, "https://", 8) != 0)
        return rw_error_set(RW_EINVAL, "%s is not an https URL", what);
    const char *h = url + 8;
    const char *slash = strchr(h, '/');
    if (!slash) return rw_error_set(RW_EINVAL, "%s has no path", what);
    /* whatever comes before the path: no user information, no port, only the host */
    if (memchr(h, '@', (size_t)(slash - h)))
        return rw_error_set(RW_EINVAL, "%s holds user information ('@')", what);
    for (const char *p = h; p < slash; p++) {
        if (*p == ':') return rw_error_set(RW_EINVAL, "%s names a port", what);
        if (*p == '?' || *p == '#')
            return rw_error_set(RW_EINVAL, "%s has a query or fragment before its path", what);
    }
    if (!sns_host_ok(h, (size_t)(slash - h))) {
        rw_buf b;
        rw_buf_init(&b, 0);
        quote(&b, h, (size_t)(slash - h));
        int rc = rw_error_set(RW_EINVAL,
                              "%s's host %s is not SNS's (sns.<region>.amazonaws.com or "
                              "sns.<region>.amazonaws.com.cn)",
                              what, b.data);
        rw_buf_free(&b);
        return rc;
    }
    *host = h;
    *hn = (size_t)(slash - h);
    *rest = slash;
    return RW_OK;
}

int rw_sns_cert_url_check(const char *url) {
    if (!url) return rw_error_set(RW_EINVAL, "no SigningCertURL");
    const char *h, *path;
    size_t hn;
    int rc = split_https(url, "SigningCertURL", &h, &hn, &path);
    if (rc) return rc;
    size_t n = strlen(path);
    if (n < 6 || strcmp(path + n - 4, ".pem") != 0)
        return rw_error_set(RW_EINVAL, "SigningCertURL's path does not end in .pem");
    if (path[1] == '.')
        return rw_error_set(RW_EINVAL, "SigningCertURL's file name starts with '.'");
    for (size_t i = 1; i < n; i++) {
        char c = path[i];
        if (!(lower_or_digit(c) || (c >= 'A' && c <= 'Z') || c == '.' || c == '-' || c == '_'))
            return rw_error_set(RW_EINVAL,
                                "SigningCertURL's path is not one file name of letters, digits, "
                                "'.', '-' and '_' (it holds '%c')",
                                c);
    }
    return RW_OK;
}

int rw_sns_subscribe_url_check(const char *url) {
    if (!url) return rw_error_set(RW_EINVAL, "no SubscribeURL");
    const char *h, *rest;
    size_t hn;
    int rc = split_https(url, "SubscribeURL", &h, &hn, &rest);
    if (rc) return rc;
    if (strncmp(rest, "/?", 2) != 0)
        return rw_error_set(RW_EINVAL, "SubscribeURL's path is not / with a query");
    const char *q = rest + 2;
    for (const char *p = q; *p; p++) {
        char c = *p;
        if (!(lower_or_digit(c) || (c >= 'A' && c <= 'Z') || strchr("-._~%&=:+/,", c)))
            return rw_error_set(RW_EINVAL, "SubscribeURL's query holds '%c'", c);
    }
    bool action = false;
    for (const char *p = q; p && *p;) {
        if (!strncmp(p, "Action=ConfirmSubscription", 26) && (p[26] == '&' || p[26] == 0))
            action = true;
        else if (!strncmp(p, "Action=", 7))
            return rw_error_set(RW_EINVAL, "SubscribeURL's Action is not ConfirmSubscription");
        p = strchr(p, '&');
        if (p) p++;
    }
    if (!action) return rw_error_set(RW_EINVAL, "SubscribeURL has no Action=ConfirmSubscription");
    return RW_OK;
}

bool rw_sns_topic_arn_valid(const char *arn) {
    /* arn:<partition>:sns:<region>:<account>:<name> */
    if (!arn || strncmp(arn, "arn:", 4) != 0) return false;
    const char *p = arn + 4;
    const char *c = strchr(p, ':');
    if (!c || c == p) return false;
    for (const char *s = p; s < c; s++)
        if (!(lower_or_digit(*s) || *s == '-')) return false;
    p = c + 1;
    if (strncmp(p, "sns:", 4) != 0) return false;
    p += 4;
    c = strchr(p, ':');
    if (!c || !region_ok(p, (size_t)(c - p))) return false;
    p = c + 1;
    for (int i = 0; i < 12; i++)
        if (!(p[i] >= '0' && p[i] <= '9')) return false;
    if (p[12] != ':') return false;
    p += 13;
    size_t n = strlen(p);
    /* letters, digits, '-' and '_', up to 256, with ".fifo" for FIFO topics */
    if (n == 0 || n > 256) return false;
    if (n > 5 && !strcmp(p + n - 5, ".fifo")) n -= 5;
    for (size_t i = 0; i < n; i++) {
        char ch = p[i];
        if (!(lower_or_digit(ch) || (ch >= 'A' && ch <= 'Z') || ch == '-' || ch == '_'))
            return false;
    }
    return true;
}

/* ---- signatures ---------------------------------------------------------------------------- */

const char *rw_sns_verdict_name(rw_sns_verdict v) {
    switch (v) {
    case RW_SNS_OK:
        return "ok";
    case RW_SNS_UNSIGNED:
        return "unsigned";
    case RW_SNS_BAD_VERSION:
        return "bad_version";
    case RW_SNS_CERT_URL:
        return "certificate_url";
    case RW_SNS_CERT_UNAVAILABLE:
        return "certificate_unavailable";
    case RW_SNS_BAD_CERT:
        return "bad_certificate";
    case RW_SNS_BAD_SIGNATURE:
        return "bad_signature";
    }
    return "?";
}

static int b64_value(unsigned char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* Strict base64 (padded, no whitespace): a new buffer of *n bytes, or NULL. */
static unsigned char *b64_decode(const char *s, size_t *n) {
    size_t len = strlen(s);
    if (len == 0 || len % 4 != 0) return NULL;
    size_t pad = 0;
    if (s[len - 1] == '=') pad++;
    if (s[len - 2] == '=') pad++;
    unsigned char *out = rw_xmalloc(len / 4 * 3);
    size_t o = 0;
    for (size_t i = 0; i < len; i += 4) {
        int v[4];
        for (int k = 0; k < 4; k++) {
            bool padpos = i + 4 == len && k >= 4 - (int)pad;
            v[k] = padpos ? 0 : b64_value((unsigned char)s[i + k]);
            if (v[k] < 0) {
                free(out);
                return NULL;
            }
        }
        unsigned int w =
            (unsigned)v[0] << 18 | (unsigned)v[1] << 12 | (unsigned)v[2] << 6 | (unsigned)v[3];
        out[o++] = (unsigned char)(w >> 16);
        out[o++] = (unsigned char)(w >> 8);
        out[o++] = (unsigned char)w;
    }
    /* the bits the padding leaves unused must be zero (one encoding per value) */
    if ((pad == 1 && out[o - 1] != 0) || (pad == 2 && (out[o - 1] || out[o - 2]))) {
        free(out);
        return NULL;
    }
    *n = o - pad;
    return out;
}

/* The first certificate of a PEM text, or NULL with the message set. */
static X509 *pem_cert(const char *pem, size_t len) {
    if (len > CERT_MAX_BODY) {
        rw_error_set(RW_EINVAL, "the certificate is %zu bytes long", len);
        return NULL;
    }
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    if (!x) rw_error_set(RW_EINVAL, "the signing certificate is not a PEM certificate");
    return x;
}

/* Is x a certificate rootwatch verifies with at time now? The message says why not. */
static bool cert_usable(X509 *x, int64_t now) {
    EVP_PKEY *key = X509_get0_pubkey(x);
    if (!key || EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
        rw_error_set(RW_EINVAL, "the signing certificate's key is not an RSA key");
        return false;
    }
    if (EVP_PKEY_get_bits(key) < MIN_RSA_BITS) {
        rw_error_set(RW_EINVAL, "the signing certificate's RSA key has %d bits (fewer than %d)",
                     EVP_PKEY_get_bits(key), MIN_RSA_BITS);
        return false;
    }
    time_t t = (time_t)now;
    if (X509_cmp_time(X509_get0_notBefore(x), &t) >= 0) {
        rw_error_set(RW_EINVAL, "the signing certificate is not valid yet");
        return false;
    }
    if (X509_cmp_time(X509_get0_notAfter(x), &t) <= 0) {
        rw_error_set(RW_EINVAL, "the signing certificate has expired");
        return false;
    }
    return true;
}

/* The checks on m that need no certificate: signed at all, a version rootwatch knows. */
static rw_sns_verdict precheck(const rw_sns_message *m, const EVP_MD **md) {
    if (!m->signature || !*m->signature)
        return rw_error_set(RW_EINVAL, "unsigned: the message has no Signature"), RW_SNS_UNSIGNED;
    if (!m->signature_version)
        return rw_error_set(RW_EINVAL, "unsigned: the message has no SignatureVersion"),
               RW_SNS_UNSIGNED;
    if (!m->signing_cert_url || !*m->signing_cert_url)
        return rw_error_set(RW_EINVAL, "unsigned: the message has no SigningCertURL"),
               RW_SNS_UNSIGNED;
    if (!strcmp(m->signature_version, "1")) {
        *md = EVP_sha1();
    } else if (!strcmp(m->signature_version, "2")) {
        *md = EVP_sha256();
    } else {
        rw_buf b;
        rw_buf_init(&b, 0);
        quote(&b, m->signature_version, strlen(m->signature_version));
        rw_error_set(RW_EINVAL, "SignatureVersion '%s' is not 1 or 2", b.data);
        rw_buf_free(&b);
        return RW_SNS_BAD_VERSION;
    }
    return RW_SNS_OK;
}

/* Verifies m's signature with x's key (checked usable). */
static rw_sns_verdict verify_with(const rw_sns_message *m, const EVP_MD *md, X509 *x) {
    size_t siglen = 0;
    unsigned char *sig = b64_decode(m->signature, &siglen);
    if (!sig) {
        rw_error_set(RW_EINVAL, "bad signature: Signature is not base64");
        return RW_SNS_BAD_SIGNATURE;
    }
    EVP_PKEY *key = X509_get0_pubkey(x);
    rw_sns_verdict verdict = RW_SNS_BAD_SIGNATURE;
    if (siglen != (size_t)EVP_PKEY_get_size(key)) {
        rw_error_set(RW_EINVAL, "bad signature: %zu bytes where the key's are %d", siglen,
                     EVP_PKEY_get_size(key));
        free(sig);
        return verdict;
    }
    rw_buf tbs;
    rw_buf_init(&tbs, 0);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (rw_sns_string_to_sign(m, &tbs) != RW_OK || !ctx) {
        rw_error_set(RW_EINVAL, "bad signature: the string to sign could not be made");
    } else if (EVP_DigestVerifyInit(ctx, NULL, md, NULL, key) != 1) {
        rw_error_set(RW_EINVAL, "bad signature: OpenSSL cannot verify %s with this key",
                     EVP_MD_get0_name(md));
    } else if (EVP_DigestVerify(ctx, sig, siglen, (const unsigned char *)tbs.data, tbs.len) != 1) {
        rw_error_set(RW_EINVAL,
                     "bad signature: the Signature does not verify (SignatureVersion %s, "
                     "%s with RSA)",
                     m->signature_version, EVP_MD_get0_name(md));
    } else {
        verdict = RW_SNS_OK;
    }
    EVP_MD_CTX_free(ctx);
    rw_buf_free(&tbs);
    free(sig);
    return verdict;
}

rw_sns_verdict rw_sns_verify_pem(const rw_sns_message *m, const char *cert_pem, size_t len,
                                 int64_t now) {
    const EVP_MD *md = NULL;
    rw_sns_verdict v = precheck(m, &md);
    if (v != RW_SNS_OK) return v;
    X509 *x = pem_cert(cert_pem, len);
    if (!x) return RW_SNS_BAD_CERT;
    if (!cert_usable(x, now)) {
        X509_free(x);
        return RW_SNS_BAD_CERT;
    }
    v = verify_with(m, md, x);
    X509_free(x);
    return v;
}

/* ---- the verifier and its cache ------------------------------------------------------------ */

typedef struct cache_entry {
    char *url;
    X509 *cert;        /* NULL: a negative entry (the host refused it) */
    char *why;         /* a negative entry's message */
    int64_t expires;   /* a negative entry's end (seconds) */
    uint64_t last_use; /* for eviction: the least recently used goes */
} cache_entry;

struct rw_sns_verifier {
    char *endpoint; /* no trailing '/', or NULL */
    size_t cache_max;
    long timeout_ms;
    int64_t (*now)(void);
    int (*fetch)(void *ctx, const char *url, rw_buf *body);
    void *fetch_ctx;
    pthread_mutex_t lock; /* the cache */
    cache_entry *cache;
    size_t ncache;
    uint64_t tick;
    uint64_t fetches;
    int max_per_minute;
    int64_t minute; /* of the fetches counted in this_minute */
    int this_minute;
    pthread_mutex_t fetch_lock; /* the HTTP handle: one fetch at a time */
    rw_http *http;
};

int rw_sns_verifier_new(rw_sns_verifier **out, const rw_sns_verifier_opts *opts) {
    *out = NULL;
    rw_sns_verifier_opts o = {0};
    if (opts) o = *opts;
    if (o.endpoint && *o.endpoint) {
        bool http = !strncasecmp(o.endpoint, "http://", 7),
             https = !strncasecmp(o.endpoint, "https://", 8);
        if ((!http && !https) || !rw_http_is_loopback(o.endpoint))
            return rw_error_set(RW_EINVAL,
                                "the SNS test endpoint must be an http(s) URL of a loopback "
                                "address (http://127.0.0.1:PORT): it stands in for SNS in tests "
                                "and emulators only");
        const char *after = o.endpoint + (http ? 7 : 8);
        const char *slash = strchr(after, '/');
        if ((slash && slash[1]) || strpbrk(after, "?#@"))
            return rw_error_set(RW_EINVAL,
                                "the SNS test endpoint must be scheme://host:port, without a path, "
                                "query or user information");
    }
    rw_sns_verifier *v = rw_xcalloc(1, sizeof *v);
    if (o.endpoint && *o.endpoint) {
        v->endpoint = rw_xstrdup(o.endpoint);
        size_t n = strlen(v->endpoint);
        while (n > 0 && v->endpoint[n - 1] == '/') v->endpoint[--n] = 0;
    }
    v->cache_max = o.cache_max ? o.cache_max : DEFAULT_CACHE;
    v->timeout_ms = o.timeout_ms > 0 ? o.timeout_ms : DEFAULT_TIMEOUT_MS;
    v->now = o.now ? o.now : rw_time_now;
    v->fetch = o.fetch;
    v->fetch_ctx = o.fetch_ctx;
    v->max_per_minute =
        o.max_fetches_per_minute > 0 ? o.max_fetches_per_minute : DEFAULT_FETCHES_PER_MINUTE;
    v->cache = rw_xcalloc(v->cache_max, sizeof *v->cache);
    pthread_mutex_init(&v->lock, NULL);
    pthread_mutex_init(&v->fetch_lock, NULL);
    *out = v;
    return RW_OK;
}

static void entry_clear(cache_entry *e) {
    free(e->url);
    free(e->why);
    X509_free(e->cert);
    memset(e, 0, sizeof *e);
}

void rw_sns_verifier_free(rw_sns_verifier *v) {
    if (!v) return;
    for (size_t i = 0; i < v->ncache; i++) entry_clear(&v->cache[i]);
    free(v->cache);
    rw_http_free(v->http);
    pthread_mutex_destroy(&v->lock);
    pthread_mutex_destroy(&v->fetch_lock);
    free(v->endpoint);
    free(v);
}

uint64_t rw_sns_verifier_fetches(const rw_sns_verifier *v) {
    rw_sns_verifier *mv = (rw_sns_verifier *)v;
    pthread_mutex_lock(&mv->lock);
    uint64_t n = v->fetches;
    pthread_mutex_unlock(&mv->lock);
    return n;
}

/* The URL to fetch for a checked SNS URL: itself, or its path and query on the test endpoint. */
static char *fetch_url(const rw_sns_verifier *v, const char *url) {
    if (!v->endpoint) return rw_xstrdup(url);
    const char *path = strchr(url + 8, '/');
    rw_buf b;
    rw_buf_init(&b, 0);
    rw_buf_printf(&b, "%s%s", v->endpoint, path ? path : "/");
    return rw_buf_take(&b);
}

/* GETs url (checked) into body: the HTTP status, or an error code (< 0) with the message set. The
 * message names the host at most (a SubscribeURL's query holds the subscription's token). One
 * fetch at a time: wait_ms > 0 waits that long at most for another to end (RW_ERETRY after). */
static int do_fetch(rw_sns_verifier *v, const char *url, rw_buf *body, size_t max, long wait_ms) {
    if (wait_ms > 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += wait_ms / 1000;
        ts.tv_nsec += (wait_ms % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        if (pthread_mutex_timedlock(&v->fetch_lock, &ts) != 0)
            return rw_error_set(RW_ERETRY, "another certificate is being fetched");
    } else {
        pthread_mutex_lock(&v->fetch_lock);
    }
    char *target = fetch_url(v, url);
    int status;
    rw_error_clear();
    if (v->fetch) {
        status = v->fetch(v->fetch_ctx, target, body);
        if (status < 0 && !*rw_error_last()) rw_error_set(status, "the fetch failed");
    } else {
        if (!v->http) {
            rw_http_opts ho = {.timeout_ms = v->timeout_ms, .max_body = max};
            v->http = rw_http_new(&ho);
        }
        if (!v->http) {
            status = rw_error_last()[0] ? RW_EIO : rw_error_set(RW_EIO, "no HTTP client");
        } else {
            rw_http_response resp;
            rw_http_response_init(&resp);
            rw_http_request req = {.method = "GET", .url = target, .timeout_ms = v->timeout_ms};
            int rc = rw_http_do(v->http, &req, &resp);
            if (rc != RW_OK) {
                status = rc;
            } else {
                status = (int)resp.status;
                if (resp.body.len > max) {
                    status = rw_error_set(RW_ELIMIT, "the answer is over %zu bytes", max);
                } else {
                    rw_buf_append(body, resp.body.data ? resp.body.data : "", resp.body.len);
                }
            }
            rw_http_response_free(&resp);
        }
    }
    pthread_mutex_unlock(&v->fetch_lock);
    free(target);
    return status;
}

/* The certificate at url (checked): from the cache, or fetched. A new reference (X509_free it), or
 * NULL with *verdict and the message set. */
static X509 *get_cert(rw_sns_verifier *v, const char *url, rw_sns_verdict *verdict) {
    int64_t now = v->now();
    pthread_mutex_lock(&v->lock);
    for (size_t i = 0; i < v->ncache; i++) {
        cache_entry *e = &v->cache[i];
        if (strcmp(e->url, url) != 0) continue;
        time_t t = (time_t)now;
        /* a refusal that is over, or a certificate that expired while cached: asked again */
        if ((!e->cert && e->expires <= now) ||
            (e->cert && X509_cmp_time(X509_get0_notAfter(e->cert), &t) <= 0)) {
            entry_clear(e);
            v->cache[i] = v->cache[--v->ncache];
            break;
        }
        e->last_use = ++v->tick;
        X509 *x = e->cert;
        if (x) {
            X509_up_ref(x);
        } else {
            rw_error_set(RW_EINVAL, "%s", e->why);
            *verdict = RW_SNS_BAD_CERT;
        }
        pthread_mutex_unlock(&v->lock);
        return x;
    }
    /* certificates not seen yet: a few a minute at most (SNS signs with one or two per region;
     * a flood of forged messages naming new .pem files must not make rootwatch a flood of
     * requests to AWS) */
    if (now / 60 != v->minute) {
        v->minute = now / 60;
        v->this_minute = 0;
    }
    if (v->this_minute >= v->max_per_minute) {
        pthread_mutex_unlock(&v->lock);
        rw_error_set(RW_ERETRY,
                     "the signing certificate was not fetched: %d new certificates were asked for "
                     "within a minute already (forged messages naming new ones?)",
                     v->max_per_minute);
        *verdict = RW_SNS_CERT_UNAVAILABLE;
        return NULL;
    }
    v->this_minute++;
    v->fetches++;
    pthread_mutex_unlock(&v->lock);

    rw_buf body;
    rw_buf_init(&body, CERT_MAX_BODY);
    int status = do_fetch(v, url, &body, CERT_MAX_BODY, FETCH_WAIT_MS);
    X509 *x = NULL;
    char *why = NULL;
    const char *host_end = strchr(url + 8, '/');
    int hostlen = (int)(host_end - (url + 8));
    if (status < 0) {
        rw_error_wrap(RW_ERETRY, "the signing certificate could not be fetched from %.*s", hostlen,
                      url + 8);
        *verdict = RW_SNS_CERT_UNAVAILABLE;
    } else if (status >= 500 || status == 429 || status == 408) {
        rw_error_set(RW_ERETRY, "the signing certificate could not be fetched: %.*s answered %d",
                     hostlen, url + 8, status);
        *verdict = RW_SNS_CERT_UNAVAILABLE;
    } else if (status != 200) {
        rw_error_set(RW_EINVAL, "the signing certificate could not be fetched: %.*s answered %d",
                     hostlen, url + 8, status);
        why = rw_xstrdup(rw_error_last());
        *verdict = RW_SNS_BAD_CERT;
    } else {
        x = pem_cert(body.data ? body.data : "", body.len);
        if (x && !cert_usable(x, now)) {
            X509_free(x);
            x = NULL;
        }
        if (!x) {
            rw_error_wrap(RW_EINVAL, "%.*s", hostlen, url + 8);
            why = rw_xstrdup(rw_error_last());
            *verdict = RW_SNS_BAD_CERT;
        }
    }
    rw_buf_free(&body);
    if (!x && !why) return NULL; /* a passing failure: not remembered */

    /* remember it: a certificate, or the refusal for a while */
    char *msg = why ? rw_xstrdup(why) : NULL;
    pthread_mutex_lock(&v->lock);
    size_t slot = v->ncache;
    for (size_t i = 0; i < v->ncache; i++)
        if (!strcmp(v->cache[i].url, url)) slot = i; /* fetched twice at once */
    if (slot == v->ncache) {
        if (v->ncache < v->cache_max) {
            v->ncache++;
        } else {
            slot = 0;
            for (size_t i = 1; i < v->ncache; i++)
                if (v->cache[i].last_use < v->cache[slot].last_use) slot = i;
        }
    }
    entry_clear(&v->cache[slot]);
    v->cache[slot].url = rw_xstrdup(url);
    v->cache[slot].cert = x;
    if (x) X509_up_ref(x);
    v->cache[slot].why = why;
    v->cache[slot].expires = now + NEGATIVE_TTL_S;
    v->cache[slot].last_use = ++v->tick;
    pthread_mutex_unlock(&v->lock);
    if (msg) {
        rw_error_set(RW_EINVAL, "%s", msg);
        free(msg);
    }
    return x;
}

rw_sns_verdict rw_sns_verify(rw_sns_verifier *v, const rw_sns_message *m) {
    const EVP_MD *md = NULL;
    rw_sns_verdict verdict = precheck(m, &md);
    if (verdict != RW_SNS_OK) return verdict;
    if (rw_sns_cert_url_check(m->signing_cert_url) != RW_OK) {
        rw_error_wrap(RW_EINVAL, "certificate URL not allowed");
        return RW_SNS_CERT_URL;
    }
    X509 *x = get_cert(v, m->signing_cert_url, &verdict);
    if (!x) return verdict;
    verdict = verify_with(m, md, x);
    X509_free(x);
    return verdict;
}

int rw_sns_confirm(rw_sns_verifier *v, const rw_sns_message *m) {
    if (m->type != RW_SNS_SUBSCRIPTION_CONFIRMATION)
        return rw_error_set(RW_EINVAL, "a %s is not a subscription to confirm",
                            rw_sns_type_name(m->type));
    int rc = rw_sns_subscribe_url_check(m->subscribe_url);
    if (rc) return rc;
    const char *h = m->subscribe_url + 8;
    int hostlen = (int)(strchr(h, '/') - h);
    rw_buf body;
    rw_buf_init(&body, CONFIRM_MAX_BODY);
    int status = do_fetch(v, m->subscribe_url, &body, CONFIRM_MAX_BODY, 0);
    rw_buf_free(&body);
    if (status < 0)
        return rw_error_wrap(RW_ERETRY, "confirming the subscription at %.*s", hostlen, h);
    if (status == 200) return RW_OK;
    return rw_error_set(status >= 500 || status == 429 ? RW_ERETRY : RW_EINVAL,
                        "confirming the subscription: %.*s answered %d", hostlen, h, status);
}
