/* The standard credential chain (see provider_chain.h for the order). Each source says why it gave
 * nothing, so that "no credentials" lists every place looked at. Secrets are never put in a
 * message. This file sits above the AWS client (through provider_sts.h, for AssumeRole and web
 * identity); the provider it makes is the interface of provider.h, which the client uses. */
#include "aws/provider_chain.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "aws/process.h"
#include "aws/provider_sts.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/http.h"
#include "util/json.h"
#include "util/log.h"
#include "util/secret.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

#define MAX_CHAIN 8 /* role_arn / source_profile hops */
/* credential_process: the time it may take (the AWS SDK for Go's default; the others have none),
 * the most that may be set, and the most it may print (credentials take a few KiB) */
#define PROCESS_TIMEOUT_MS 60000L
#define PROCESS_TIMEOUT_MAX_MS 3600000L
#define PROCESS_MAX_OUTPUT ((size_t)1 << 20)

/* ---- helpers ---- */

static const char *env(const char *name) {
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* The list of "source: why not" lines, for the final message. */
typedef struct tried {
    rw_buf b;
} tried;

static void note(tried *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(tried *t, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    rw_buf_puts(&t->b, "\n  - ");
    rw_buf_vprintf(&t->b, fmt, ap);
    va_end(ap);
}

/* Reads a credentials JSON object (container endpoints, IMDS, credential_process). */
static int creds_from_json(const char *text, size_t len, const char *what, const char *source,
                           rw_aws_creds **out) {
    rw_json_opts jo = {.secret = 1}; /* the tree holds the credentials */
    rw_json_doc *d = rw_json_doc_new(&jo);
    int rc = rw_json_doc_parse(d, text, len);
    if (rc != RW_OK) {
        rc = rw_error_set(RW_EIO, "%s: the reply is not JSON (at byte %zu)", what,
                          rw_json_doc_error_offset(d));
        goto done;
    }
    const rw_json *o = rw_json_doc_root(d);
    if (o->type != RW_JSON_OBJECT) {
        rc = rw_error_set(RW_EIO, "%s: the reply is not a JSON object", what);
        goto done;
    }
    const char *code = rw_json_get_str(o, "Code");
    if (code && strcmp(code, "Success")) {
        const char *m = rw_json_get_str(o, "Message");
        rc = rw_error_set(RW_EIO, "%s: %s%s%s", what, code, m ? ": " : "", m ? m : "");
        goto done;
    }
    const char *ak = rw_json_get_str(o, "AccessKeyId");
    const char *sk = rw_json_get_str(o, "SecretAccessKey");
    const char *tok = rw_json_get_str(o, "SessionToken");
    if (!tok) tok = rw_json_get_str(o, "Token");
    const char *exp = rw_json_get_str(o, "Expiration");
    if (!ak || !*ak || !sk || !*sk) {
        rc = rw_error_set(RW_EIO, "%s: the reply has no %s", what,
                          !ak || !*ak ? "AccessKeyId" : "SecretAccessKey");
        goto done;
    }
    int64_t expires = 0;
    if (exp && *exp && rw_time_parse(exp, &expires) != RW_OK) {
        rc = rw_error_set(RW_EIO, "%s: Expiration \"%.40s\" is not a time", what, exp);
        goto done;
    }
    *out = rw_aws_creds_new(ak, sk, tok, expires, source);
    rc = RW_OK;
done:
    rw_json_doc_free(d);
    return rc;
}

static char *read_small_file(const char *path, const char *what) {
    rw_buf b;
    rw_buf_init(&b, 1 << 20);
    rw_buf_set_secret(&b); /* a token: the caller frees it with rw_secret_free */
    if (rw_buf_read_file(&b, path) != RW_OK) {
        rw_error_wrap(RW_EIO, "%s", what);
        rw_buf_free(&b);
        return NULL;
    }
    while (b.len && isspace((unsigned char)b.data[b.len - 1])) b.data[--b.len] = 0;
    return rw_buf_take(&b);
}

/* ---- STS: AssumeRoleWithWebIdentity (the call is in provider_sts.c) ---- */

static int web_identity(const rw_aws_config *cfg, const char *token_file, const char *role_arn,
                        const char *session_name, const char *origin, rw_aws_creds **out) {
    char what[512];
    snprintf(what, sizeof what, "web identity (%s, role %s)", origin, role_arn);
    char *token = read_small_file(token_file, "reading the web identity token file");
    if (!token) return rw_error_wrap(RW_EIO, "%s", what);
    char name[64];
    if (!session_name) {
        snprintf(name, sizeof name, "rootwatch-%lld", (long long)time(NULL));
        session_name = name;
    }
    const char *params[] = {
        "RoleArn", role_arn, "RoleSessionName", session_name, "WebIdentityToken", token, NULL};
    char desc[600];
    snprintf(desc, sizeof desc, "role %s assumed with the web identity token in %s (%s)", role_arn,
             token_file, origin);
    int rc = rw_aws_sts_assume(cfg, NULL, "AssumeRoleWithWebIdentity", params, what, desc, out);
    rw_secret_free(token, strlen(token));
    return rc;
}

/* ---- the sources ---- */

static int from_env(tried *t, rw_aws_creds **out) {
    const char *ak = env("AWS_ACCESS_KEY_ID"), *sk = env("AWS_SECRET_ACCESS_KEY");
    if (!ak && !sk) {
        note(t, "environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set");
        return RW_ENOTFOUND;
    }
    if (!ak || !sk)
        return rw_error_set(RW_EINVAL, "environment: %s is set but %s is not",
                            ak ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                            ak ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
    *out = rw_aws_creds_new(ak, sk, env("AWS_SESSION_TOKEN"), 0, "environment (AWS_ACCESS_KEY_ID)");
    return RW_OK;
}

static int from_web_identity_env(const rw_aws_config *cfg, tried *t, rw_aws_creds **out) {
    const char *file = env("AWS_WEB_IDENTITY_TOKEN_FILE"), *role = env("AWS_ROLE_ARN");
    if (!file || !role) {
        note(t, "web identity: %s",
             !file ? "AWS_WEB_IDENTITY_TOKEN_FILE is not set" : "AWS_ROLE_ARN is not set");
        return RW_ENOTFOUND;
    }
    return web_identity(cfg, file, role, env("AWS_ROLE_SESSION_NAME"),
                        "AWS_WEB_IDENTITY_TOKEN_FILE", out);
}

static bool link_local_url(const char *url) {
    static const char *const hosts[] = {"http://169.254.170.2/",  "http://169.254.170.2:",
                                        "http://169.254.170.23/", "http://169.254.170.23:",
                                        "http://[fd00:ec2::23]",  "http://169.254.169.254",
                                        "http://[fd00:ec2::254]", NULL};
    for (int i = 0; hosts[i]; i++)
        if (!strncmp(url, hosts[i], strlen(hosts[i]))) return true;
    return false;
}

/* An ECS/EKS container credentials address (http://169.254.170.2, 169.254.170.23 or
 * [fd00:ec2::23], with an optional port and nothing else before the path): the host is compared
 * whole, so that "http://169.254.170.2.example.com/" or "http://169.254.170.2:80@example.com/"
 * are not taken for it. */
static bool container_link_local_url(const char *url) {
    static const char *const hosts[] = {"169.254.170.2", "169.254.170.23", "[fd00:ec2::23]", NULL};
    if (strncasecmp(url, "http://", 7)) return false;
    const char *a = url + 7;
    size_t n = strcspn(a, "/?#");
    for (int i = 0; hosts[i]; i++) {
        size_t hl = strlen(hosts[i]);
        if (n < hl || strncasecmp(a, hosts[i], hl)) continue;
        if (n == hl) return true;
        if (a[hl] != ':') continue;
        size_t digits = strspn(a + hl + 1, "0123456789");
        return hl + 1 + digits == n;
    }
    return false;
}

static int http_get_creds(rw_http *h, const char *method, const char *url, const rw_http_header *hs,
                          size_t nh, long timeout_ms, rw_http_response *resp) {
    rw_http_request r = {.method = method,
                         .url = url,
                         .headers = hs,
                         .nheaders = nh,
                         .timeout_ms = timeout_ms,
                         .connect_timeout_ms = timeout_ms,
                         .allow_metadata_http = link_local_url(url)};
    rw_http_response_free(resp);
    rw_http_response_init(resp);
    rw_buf_set_secret(&resp->body); /* a token or credentials: wiped when freed */
    return rw_http_do(h, &r, resp);
}

static int from_container(tried *t, rw_aws_creds **out) {
    const char *rel = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"),
               *full = env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    if (!rel && !full) {
        note(t, "container credentials: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and _FULL_URI are "
                "not set");
        return RW_ENOTFOUND;
    }
    char url[2048];
    if (rel)
        snprintf(url, sizeof url, "http://169.254.170.2%s%s", rel[0] == '/' ? "" : "/", rel);
    else
        snprintf(url, sizeof url, "%s", full);
    if (!rel && strncasecmp(url, "https://", 8) && !rw_http_is_loopback(url) &&
        !container_link_local_url(url))
        return rw_error_set(
            RW_EINVAL,
            "container credentials: AWS_CONTAINER_CREDENTIALS_FULL_URI must be https, a loopback "
            "address, or the ECS/EKS addresses (169.254.170.2, 169.254.170.23, fd00:ec2::23)");
    char *token = NULL;
    const char *tf = env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    if (tf) {
        token = read_small_file(
            tf, "container credentials: reading AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
        if (!token) return RW_EIO;
    } else if (env("AWS_CONTAINER_AUTHORIZATION_TOKEN")) {
        token = rw_xstrdup(env("AWS_CONTAINER_AUTHORIZATION_TOKEN"));
    }
    if (token && strpbrk(token, "\r\n")) {
        rw_secret_free(token, strlen(token));
        return rw_error_set(RW_EINVAL,
                            "container credentials: the authorization token holds a line break");
    }
    rw_http_opts o = {0};
    rw_http *h = rw_http_new(&o);
    rw_http_header hs[1] = {{"Authorization", token}};
    rw_http_response resp;
    rw_http_response_init(&resp);
    /* where the credentials came from, without the URI's query (it may hold a secret) */
    char where[300];
    snprintf(where, sizeof where, "%.*s", (int)strcspn(url, "?"), url);
    int rc = RW_EIO;
    for (int attempt = 0; attempt < 3; attempt++) {
        rc = http_get_creds(h, "GET", url, hs, token ? 1 : 0, 2000, &resp);
        if (rc == RW_OK && resp.status >= 500) rc = RW_ERETRY;
        if (rc != RW_ERETRY) break;
    }
    if (rc == RW_OK && resp.status != 200)
        rc = rw_error_set(RW_EIO, "HTTP %ld%s", resp.status,
                          resp.status == 401 || resp.status == 403
                              ? " (the authorization token was refused)"
                              : "");
    if (rc == RW_OK) {
        char src[400];
        snprintf(src, sizeof src, "container credentials (%s)", where);
        rc = creds_from_json(resp.body.data ? resp.body.data : "", resp.body.len,
                             "container credentials", src, out);
    }
    if (rc != RW_OK) rc = rw_error_wrap(rc, "container credentials from %s", where);
    rw_http_response_free(&resp);
    rw_http_free(h);
    if (token) rw_secret_free(token, strlen(token));
    return rc;
}

static int from_imds(tried *t, rw_aws_creds **out) {
    const char *dis = env("AWS_EC2_METADATA_DISABLED");
    if (dis && !strcasecmp(dis, "true")) {
        note(t, "instance metadata: AWS_EC2_METADATA_DISABLED is true");
        return RW_ENOTFOUND;
    }
    const char *base = env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    if (!base) {
        const char *mode = env("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
        base =
            mode && !strcasecmp(mode, "IPv6") ? "http://[fd00:ec2::254]" : "http://169.254.169.254";
    }
    size_t bl = strlen(base);
    while (bl && base[bl - 1] == '/') bl--;
    rw_http_opts o = {0};
    rw_http *h = rw_http_new(&o);
    rw_http_response resp;
    rw_http_response_init(&resp);
    char url[1024];
    char *token = NULL, *role = NULL;
    int rc;
    /* IMDSv2: a session token first */
    snprintf(url, sizeof url, "%.*s/latest/api/token", (int)bl, base);
    rw_http_header th[1] = {{"X-aws-ec2-metadata-token-ttl-seconds", "21600"}};
    rc = http_get_creds(h, "PUT", url, th, 1, 1000, &resp);
    if (rc != RW_OK) {
        note(t, "instance metadata: no answer from %.*s (%s)", (int)bl, base, rw_error_last());
        rc = RW_ENOTFOUND;
        goto done;
    }
    int v1 = 0;
    if (resp.status == 200) {
        token = rw_xstrndup(resp.body.data ? resp.body.data : "", resp.body.len);
    } else if (resp.status == 403 || resp.status == 404 || resp.status == 405) {
        const char *v1off = env("AWS_EC2_METADATA_V1_DISABLED");
        if (v1off && !strcasecmp(v1off, "true")) {
            rc = rw_error_set(RW_EIO,
                              "instance metadata: the token request got HTTP %ld and IMDSv1 is "
                              "disabled (AWS_EC2_METADATA_V1_DISABLED)",
                              resp.status);
            goto done;
        }
        v1 = 1; /* an IMDSv1-only service */
    } else {
        rc = rw_error_set(RW_EIO, "instance metadata: the token request got HTTP %ld", resp.status);
        goto done;
    }
    rw_http_header gh[1] = {{"X-aws-ec2-metadata-token", token}};
    snprintf(url, sizeof url, "%.*s/latest/meta-data/iam/security-credentials/", (int)bl, base);
    rc = http_get_creds(h, "GET", url, gh, v1 ? 0 : 1, 1000, &resp);
    if (rc == RW_OK && resp.status == 404) {
        rc = rw_error_set(RW_ENOTFOUND,
                          "instance metadata: the instance has no IAM role (instance profile)");
        goto done;
    }
    if (rc == RW_OK && resp.status != 200)
        rc = rw_error_set(RW_EIO, "instance metadata: listing the role got HTTP %ld", resp.status);
    if (rc != RW_OK) goto done;
    role = rw_xstrndup(resp.body.data ? resp.body.data : "", resp.body.len);
    role[strcspn(role, "\r\n")] = 0;
    if (!*role || strchr(role, '/')) {
        rc = rw_error_set(RW_EIO, "instance metadata: the role name \"%.64s\" is not usable", role);
        goto done;
    }
    snprintf(url, sizeof url, "%.*s/latest/meta-data/iam/security-credentials/%s", (int)bl, base,
             role);
    rc = http_get_creds(h, "GET", url, gh, v1 ? 0 : 1, 1000, &resp);
    if (rc == RW_OK && resp.status != 200)
        rc = rw_error_set(RW_EIO, "instance metadata: the role's credentials got HTTP %ld",
                          resp.status);
    if (rc == RW_OK) {
        char src[600];
        snprintf(src, sizeof src, "instance metadata (%s, role %s)", v1 ? "IMDSv1" : "IMDSv2",
                 role);
        rc = creds_from_json(resp.body.data ? resp.body.data : "", resp.body.len,
                             "instance metadata", src, out);
    }
done:
    rw_http_response_free(&resp);
    rw_http_free(h);
    if (token) rw_secret_free(token, strlen(token));
    free(role);
    return rc;
}

/* credential_process's time limit: ROOTWATCH_CREDENTIAL_PROCESS_TIMEOUT_MS, else the profile's
 * credential_process_timeout_ms, else PROCESS_TIMEOUT_MS (0 also means the default). `from` says
 * where it came from, for the message. */
static int process_timeout(const rw_aws_config *cfg, const char *profile, long *ms, char *from,
                           size_t cap) {
    *ms = PROCESS_TIMEOUT_MS;
    const char *v = env("ROOTWATCH_CREDENTIAL_PROCESS_TIMEOUT_MS");
    if (v) {
        snprintf(from, cap, "ROOTWATCH_CREDENTIAL_PROCESS_TIMEOUT_MS");
    } else {
        v = rw_aws_profile_get(cfg, profile, "credential_process_timeout_ms");
        snprintf(from, cap, "credential_process_timeout_ms of profile %s", profile);
    }
    if (!v) {
        snprintf(from, cap,
                 "the default; ROOTWATCH_CREDENTIAL_PROCESS_TIMEOUT_MS or the profile's "
                 "credential_process_timeout_ms sets another");
        return RW_OK;
    }
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    while (*end && isspace((unsigned char)*end)) end++;
    if (errno || end == v || *end || n < 0 || n > PROCESS_TIMEOUT_MAX_MS)
        return rw_error_set(RW_EINVAL,
                            "profile %s: credential_process: %s \"%.32s\" is not a number of "
                            "milliseconds from 0 (the default, %ld) to %ld",
                            profile, from, v, PROCESS_TIMEOUT_MS, PROCESS_TIMEOUT_MAX_MS);
    if (n > 0) *ms = n;
    return RW_OK;
}

static void format_ms(char *b, size_t cap, long ms) {
    if (ms % 1000 == 0)
        snprintf(b, cap, "%ld s", ms / 1000);
    else
        snprintf(b, cap, "%ld ms", ms);
}

/* credential_process: runs the command with /bin/sh and reads its JSON (Version 1), within a time
 * limit and an output limit, leaving no process of it behind (see process.h). */
static int from_process(const rw_aws_config *cfg, const char *profile, const char *cmd,
                        rw_aws_creds **out) {
    char what[300];
    snprintf(what, sizeof what, "profile %s: credential_process", profile);
    long timeout_ms;
    char from[300];
    int rc = process_timeout(cfg, profile, &timeout_ms, from, sizeof from);
    if (rc != RW_OK) return rc;
    rw_buf b;
    rw_buf_init(&b, PROCESS_MAX_OUTPUT + 1);
    rw_buf_set_secret(&b); /* the credentials the process prints */
    rw_buf_puts(&b, "");
    rw_aws_process_opts po = {
        .command = cmd, .timeout_ms = timeout_ms, .max_output = PROCESS_MAX_OUTPUT};
    rw_aws_process_result pr;
    rc = rw_aws_process_run(&po, &b, &pr);
    char limit[32], grace[32];
    format_ms(limit, sizeof limit, timeout_ms);
    format_ms(grace, sizeof grace, RW_AWS_PROCESS_KILL_GRACE_MS);
    if (rc != RW_OK) {
        rc = rw_error_wrap(rc, "%s", what);
    } else if (pr.end == RW_AWS_PROCESS_TIMED_OUT) {
        rc = rw_error_set(RW_EIO,
                          "%s did not finish within %s (%s); rootwatch stopped it and every "
                          "process it started (SIGTERM%s%s)",
                          what, limit, from, pr.needed_sigkill ? ", then SIGKILL after " : "",
                          pr.needed_sigkill ? grace : "");
    } else if (pr.end == RW_AWS_PROCESS_TOO_MUCH) {
        rc = rw_error_set(RW_ELIMIT,
                          "%s printed more than %zu MiB on its standard output (credentials take a "
                          "few KiB); rootwatch stopped it and every process it started",
                          what, PROCESS_MAX_OUTPUT >> 20);
    } else if (pr.end != RW_AWS_PROCESS_EXITED || pr.status != 0) {
        rc = rw_error_set(RW_EIO, "%s: the command failed (%s %d); its error output is above", what,
                          pr.end == RW_AWS_PROCESS_EXITED ? "exit status" : "signal", pr.status);
    } else {
        char src[300];
        snprintf(src, sizeof src, "profile %s (credential_process)", profile);
        rc = creds_from_json(b.data, b.len, what, src, out);
        if (rc == RW_OK) {
            /* Version must be 1 */
            rw_json_opts jo = {.secret = 1};
            rw_json_doc *d = rw_json_doc_new(&jo);
            if (rw_json_doc_parse(d, b.data, b.len) == RW_OK) {
                const rw_json *v = rw_json_get(rw_json_doc_root(d), "Version");
                if (!v || v->type != RW_JSON_NUMBER || v->num != 1) {
                    rw_aws_creds_free(*out);
                    *out = NULL;
                    rc = rw_error_set(RW_EIO, "%s: the output's Version is not 1", what);
                }
            }
            rw_json_doc_free(d);
        }
    }
    if (pr.leftovers)
        rw_log_warn("%s left processes running in its process group; rootwatch stopped them (a "
                    "helper that must outlive it starts a session of its own, as daemons do)",
                    what);
    rw_buf_free(&b);
    return rc;
}

static int from_credential_source(const char *profile, const char *src, rw_aws_creds **out) {
    tried t2;
    rw_buf_init(&t2.b, 1 << 16);
    rw_buf_puts(&t2.b, "");
    int rc;
    if (!strcmp(src, "Environment"))
        rc = from_env(&t2, out);
    else if (!strcmp(src, "Ec2InstanceMetadata"))
        rc = from_imds(&t2, out);
    else if (!strcmp(src, "EcsContainer"))
        rc = from_container(&t2, out);
    else
        rc = rw_error_set(RW_EINVAL,
                          "profile %s: credential_source %s is not one of Environment, "
                          "Ec2InstanceMetadata, EcsContainer",
                          profile, src);
    if (rc == RW_ENOTFOUND) /* an error, as source_profile without credentials: not skipped */
        rc = rw_error_set(RW_EINVAL, "profile %s: credential_source %s gave nothing:%s", profile,
                          src, t2.b.data);
    rw_buf_free(&t2.b);
    return rc;
}

/* The profiles a source_profile chain went through, innermost first. */
typedef struct hop {
    const char *profile;
    const struct hop *prev;
} hop;

/* "a -> b -> c" for the chain ending at h, then " -> next" when next is given. */
static void chain_text(rw_buf *b, const hop *h, const char *next) {
    if (h->prev) {
        chain_text(b, h->prev, NULL);
        rw_buf_puts(b, " -> ");
    }
    rw_buf_puts(b, h->profile);
    if (next) rw_buf_printf(b, " -> %s", next);
}

static int from_profile(const rw_aws_config *cfg, const char *profile, const hop *prev, tried *t,
                        rw_aws_creds **out) {
    hop here = {profile, prev};
    int depth = 0;
    for (const hop *h = prev; h; h = h->prev) depth++;
    if (depth > MAX_CHAIN)
        return rw_error_set(RW_EINVAL, "profile %s: source_profile chain longer than %d", profile,
                            MAX_CHAIN);
    const char *role = rw_aws_profile_get(cfg, profile, "role_arn");
    /* static keys: the credentials file first, as the SDKs read it before the config file */
    bool keys_in_credentials = rw_ini_get(cfg->credentials, profile, "aws_access_key_id") ||
                               rw_ini_get(cfg->credentials, profile, "aws_secret_access_key");
    const char *ak = keys_in_credentials
                         ? rw_ini_get(cfg->credentials, profile, "aws_access_key_id")
                         : rw_aws_profile_get(cfg, profile, "aws_access_key_id");
    const char *sk = keys_in_credentials
                         ? rw_ini_get(cfg->credentials, profile, "aws_secret_access_key")
                         : rw_aws_profile_get(cfg, profile, "aws_secret_access_key");
    const char *st = keys_in_credentials
                         ? rw_ini_get(cfg->credentials, profile, "aws_session_token")
                         : rw_aws_profile_get(cfg, profile, "aws_session_token");
    const char *proc = rw_aws_profile_get(cfg, profile, "credential_process");
    const char *files_desc = cfg->credentials_path ? cfg->credentials_path : "~/.aws/credentials";
    if (role) {
        const char *srcp = rw_aws_profile_get(cfg, profile, "source_profile");
        const char *csrc = rw_aws_profile_get(cfg, profile, "credential_source");
        const char *wif = rw_aws_profile_get(cfg, profile, "web_identity_token_file");
        const char *session = rw_aws_profile_get(cfg, profile, "role_session_name");
        if (wif) {
            char origin[300];
            snprintf(origin, sizeof origin, "profile %s", profile);
            return web_identity(cfg, wif, role, session, origin, out);
        }
        if (!!srcp == !!csrc)
            return rw_error_set(
                RW_EINVAL,
                "profile %s: role_arn needs exactly one of source_profile and credential_source",
                profile);
        rw_aws_creds *base = NULL;
        int rc;
        if (srcp) {
            /* a source profile that is the profile itself uses its static keys (the CLI's rule) */
            if (!strcmp(srcp, profile)) {
                if (!ak || !sk)
                    return rw_error_set(RW_EINVAL,
                                        "profile %s: source_profile is itself but it has no keys",
                                        profile);
                base = rw_aws_creds_new(ak, sk, st, 0, profile);
                rc = RW_OK;
            } else {
                for (const hop *h = &here; h; h = h->prev)
                    if (!strcmp(h->profile, srcp)) {
                        rw_buf loop;
                        rw_buf_init(&loop, 1 << 16);
                        chain_text(&loop, &here, srcp);
                        rc = rw_error_set(RW_EINVAL, "profile %s: source_profile loop: %s", profile,
                                          loop.data);
                        rw_buf_free(&loop);
                        return rc;
                    }
                tried t2;
                rw_buf_init(&t2.b, 1 << 16);
                rw_buf_puts(&t2.b, "");
                rc = from_profile(cfg, srcp, &here, &t2, &base);
                if (rc == RW_ENOTFOUND)
                    rc = rw_error_set(RW_EINVAL,
                                      "profile %s: source_profile %s has no credentials%s", profile,
                                      srcp, t2.b.data);
                rw_buf_free(&t2.b);
            }
        } else {
            rc = from_credential_source(profile, csrc, &base);
        }
        if (rc != RW_OK) return rc;
        char name[64];
        if (!session) {
            snprintf(name, sizeof name, "rootwatch-%lld", (long long)time(NULL));
            session = name;
        }
        const char *params[12];
        int np = 0;
        params[np++] = "RoleArn";
        params[np++] = role;
        params[np++] = "RoleSessionName";
        params[np++] = session;
        const char *ext = rw_aws_profile_get(cfg, profile, "external_id");
        if (ext) {
            params[np++] = "ExternalId";
            params[np++] = ext;
        }
        const char *dur = rw_aws_profile_get(cfg, profile, "duration_seconds");
        if (dur) {
            char *end;
            long d = strtol(dur, &end, 10);
            if (*end || d < 900 || d > 43200) {
                rw_aws_creds_free(base);
                return rw_error_set(
                    RW_EINVAL,
                    "profile %s: duration_seconds %s is not a number of seconds from 900 to 43200",
                    profile, dur);
            }
            params[np++] = "DurationSeconds";
            params[np++] = dur;
        }
        params[np] = NULL;
        char what[600], desc[800];
        snprintf(what, sizeof what, "profile %s: assuming role %s", profile, role);
        snprintf(desc, sizeof desc, "role %s assumed with %s (profile %s)", role, base->source,
                 profile);
        rc = rw_aws_sts_assume(cfg, base, "AssumeRole", params, what, desc, out);
        rw_aws_creds_free(base);
        return rc;
    }
    if (ak || sk) {
        if (!ak || !sk)
            return rw_error_set(RW_EINVAL, "profile %s: %s is set but %s is not", profile,
                                ak ? "aws_access_key_id" : "aws_secret_access_key",
                                ak ? "aws_secret_access_key" : "aws_access_key_id");
        char desc[600];
        snprintf(desc, sizeof desc, "profile %s (%s)", profile,
                 keys_in_credentials ? files_desc
                 : cfg->config_path  ? cfg->config_path
                                     : "~/.aws/config");
        *out = rw_aws_creds_new(ak, sk, st, 0, desc);
        return RW_OK;
    }
    if (proc) return from_process(cfg, profile, proc, out);
    if (rw_aws_profile_get(cfg, profile, "sso_session") ||
        rw_aws_profile_get(cfg, profile, "sso_start_url"))
        return rw_error_set(
            RW_EINVAL,
            "profile %s uses IAM Identity Center (SSO), which rootwatch does not read; run `aws "
            "sso "
            "login` and use credential_process = aws configure export-credentials --profile %s "
            "--format process",
            profile, profile);
    note(t, "profile %s: no credentials in %s or %s", profile,
         cfg->config_path ? cfg->config_path : "~/.aws/config", files_desc);
    return RW_ENOTFOUND;
}

static bool profile_from_option(const rw_aws_config *cfg) {
    return cfg->profile_option;
}

static int resolve(const rw_aws_config *cfg, rw_aws_creds **out) {
    tried t;
    rw_buf_init(&t.b, 1 << 16);
    rw_buf_puts(&t.b, "");
    int rc;
    if (profile_from_option(cfg)) {
        /* --profile: that profile, and nothing else */
        rc = from_profile(cfg, cfg->profile, NULL, &t, out);
        if (rc == RW_ENOTFOUND)
            rc = rw_error_set(RW_ENOTFOUND,
                              "no AWS credentials in the profile named by --profile:%s", t.b.data);
        goto done;
    }
    rc = from_env(&t, out);
    if (rc != RW_ENOTFOUND) goto done;
    rc = from_web_identity_env(cfg, &t, out);
    if (rc != RW_ENOTFOUND) goto done;
    rc = from_profile(cfg, cfg->profile, NULL, &t, out);
    if (rc != RW_ENOTFOUND) goto done;
    rc = from_container(&t, out);
    if (rc != RW_ENOTFOUND) goto done;
    rc = from_imds(&t, out);
    if (rc != RW_ENOTFOUND) goto done;
    rc = rw_error_set(RW_ENOTFOUND, "no AWS credentials found; looked at:%s", t.b.data);
done:
    rw_buf_free(&t.b);
    return rc;
}

static int resolve_chain(void *ctx, rw_aws_creds **out) {
    return resolve(ctx, out);
}

rw_aws_provider *rw_aws_provider_chain(const rw_aws_config *cfg) {
    return rw_aws_provider_new(resolve_chain, (void *)cfg);
}
