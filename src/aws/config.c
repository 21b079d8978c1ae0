/* The AWS CLI's settings: its INI files, the environment, and the endpoints they lead to.
 *
 * The INI dialect is Python's configparser as botocore uses it: keys and values separated by the
 * first '=' or ':', keys case-insensitive, full-line comments only (a '#' after a value is part
 * of the value), lines indented deeper than the key continuing its value, and a value that
 * begins on the next line ("s3 =\n  addressing_style = path") read as nested settings, stored
 * as "s3.addressing_style". As configparser, a section or a key given twice is an error. */
#include "aws/config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/secret.h"
#include "util/xmalloc.h"

#define INI_MAX_FILE ((size_t)16 << 20)

typedef struct ini_entry {
    char *key; /* lower case */
    char *value;
    size_t value_len;
    int line;
} ini_entry;

typedef struct ini_section {
    char *name;
    ini_entry *entries;
    size_t n, cap;
} ini_section;

struct rw_ini {
    ini_section *sections;
    size_t n, cap;
};

/* ---- the INI parser ------------------------------------------------------------------------ */

static bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Trims [*s, *e) of blanks on both ends. */
static void trim(const char **s, const char **e) {
    while (*s < *e && is_blank(**s)) (*s)++;
    while (*e > *s && is_blank((*e)[-1])) (*e)--;
}

static ini_section *find_section(const rw_ini *ini, const char *name) {
    for (size_t i = 0; i < ini->n; i++)
        if (strcmp(ini->sections[i].name, name) == 0) return &ini->sections[i];
    return NULL;
}

static ini_entry *find_entry(const ini_section *sec, const char *key) {
    for (size_t i = 0; i < sec->n; i++)
        if (strcasecmp(sec->entries[i].key, key) == 0) return &sec->entries[i];
    return NULL;
}

static char *lower_dup(const char *s, size_t n) {
    char *p = rw_xstrndup(s, n);
    for (char *q = p; *q; q++) *q = (char)tolower((unsigned char)*q);
    return p;
}

/* "profile  dev" and "profile \"dev\"" are "profile dev"; other names are kept as written. */
static char *section_name(const char *s, const char *e) {
    trim(&s, &e);
    size_t n = (size_t)(e - s);
    if (n > 7 && memcmp(s, "profile", 7) == 0 && is_blank(s[7])) {
        const char *p = s + 7, *q = e;
        trim(&p, &q);
        if (q - p >= 2 && *p == '"' && q[-1] == '"') p++, q--;
        rw_buf b;
        rw_buf_init(&b, 0);
        rw_buf_puts(&b, "profile ");
        rw_buf_append(&b, p, (size_t)(q - p));
        return rw_buf_take(&b);
    }
    return rw_xstrndup(s, n);
}

static void add_entry(ini_section *sec, char *key, char *value, size_t value_len, int line) {
    if (sec->n == sec->cap) {
        sec->cap = sec->cap ? sec->cap * 2 : 8;
        sec->entries = rw_xrealloc(sec->entries, sec->cap * sizeof *sec->entries);
    }
    sec->entries[sec->n++] = (ini_entry){key, value, value_len, line};
}

/* Splits "key = value" at the first '=' or ':'; false when there is neither or no key. */
static bool split_kv(const char *s, const char *e, const char **ks, const char **ke,
                     const char **vs, const char **ve) {
    const char *d = s;
    while (d < e && *d != '=' && *d != ':') d++;
    if (d == e) return false;
    *ks = s, *ke = d, *vs = d + 1, *ve = e;
    trim(ks, ke);
    trim(vs, ve);
    return *ke > *ks;
}

typedef struct ini_parser {
    rw_ini *ini;
    const char *name;
    ini_section *sec;
    /* the key whose value continuation lines extend (an index: entries move as they grow) */
    bool has_cur;
    size_t cur;
    size_t cur_indent;
    bool cur_nested; /* its value began on the next line: lines are nested "k = v" settings */
    char *cur_prefix;
} ini_parser;

static int parse_error(const ini_parser *p, int line, const char *what) {
    return rw_error_set(RW_EINVAL, "%s:%d: %s", p->name, line, what);
}

static int add_key(ini_parser *p, int line, const char *ks, const char *ke, const char *vs,
                   const char *ve) {
    char *key = lower_dup(ks, (size_t)(ke - ks));
    if (find_entry(p->sec, key)) {
        rw_error_set(RW_EINVAL, "%s:%d: key \"%s\" appears twice in [%s]", p->name, line, key,
                     p->sec->name);
        free(key);
        return RW_EINVAL;
    }
    add_entry(p->sec, key, rw_xstrndup(vs, (size_t)(ve - vs)), (size_t)(ve - vs), line);
    p->has_cur = true;
    p->cur = p->sec->n - 1;
    return RW_OK;
}

static int parse_line(ini_parser *p, int line, const char *s, const char *e) {
    const char *ts = s, *te = e;
    trim(&ts, &te);
    if (ts == te) return RW_OK;                 /* blank */
    if (*ts == '#' || *ts == ';') return RW_OK; /* comment, wherever it is indented */
    size_t indent = (size_t)(ts - s);

    if (p->has_cur && indent > p->cur_indent) { /* a continuation line */
        if (p->cur_nested) {
            const char *ks, *ke, *vs, *ve;
            const char *eq = memchr(ts, '=', (size_t)(te - ts));
            if (!eq) return parse_error(p, line, "expected \"key = value\" in a nested setting");
            ks = ts, ke = eq, vs = eq + 1, ve = te;
            trim(&ks, &ke);
            trim(&vs, &ve);
            if (ke == ks) return parse_error(p, line, "a nested setting has no name");
            rw_buf k;
            rw_buf_init(&k, 0);
            rw_buf_puts(&k, p->cur_prefix);
            rw_buf_putc(&k, '.');
            rw_buf_append(&k, ks, (size_t)(ke - ks));
            char *key = lower_dup(k.data, k.len);
            rw_buf_free(&k);
            ini_entry *old = find_entry(p->sec, key);
            if (old) { /* botocore keeps the last of a nested key */
                free(key);
                rw_secret_free(old->value, old->value_len + 1);
                old->value = rw_xstrndup(vs, (size_t)(ve - vs));
                old->value_len = (size_t)(ve - vs);
            } else {
                add_entry(p->sec, key, rw_xstrndup(vs, (size_t)(ve - vs)), (size_t)(ve - vs), line);
            }
        } else { /* a multi-line value: lines joined with '\n' */
            ini_entry *cur = &p->sec->entries[p->cur];
            rw_buf v;
            rw_buf_init(&v, 0);
            rw_buf_set_secret(&v); /* the value may be a secret */
            rw_buf_append(&v, cur->value, cur->value_len);
            rw_buf_putc(&v, '\n');
            rw_buf_append(&v, ts, (size_t)(te - ts));
            rw_secret_free(cur->value, cur->value_len + 1);
            cur->value_len = v.len;
            cur->value = rw_buf_take(&v);
        }
        return RW_OK;
    }

    free(p->cur_prefix);
    p->cur_prefix = NULL;
    p->has_cur = false;
    if (*ts == '[') {
        const char *close = te;
        while (close > ts && close[-1] != ']') close--;
        if (close == ts) return parse_error(p, line, "a section header without ']'");
        char *name = section_name(ts + 1, close - 1);
        if (!*name) {
            free(name);
            return parse_error(p, line, "a section without a name");
        }
        if (find_section(p->ini, name)) {
            rw_error_set(RW_EINVAL, "%s:%d: section [%s] appears twice", p->name, line, name);
            free(name);
            return RW_EINVAL;
        }
        rw_ini *ini = p->ini;
        if (ini->n == ini->cap) {
            ini->cap = ini->cap ? ini->cap * 2 : 8;
            ini->sections = rw_xrealloc(ini->sections, ini->cap * sizeof *ini->sections);
        }
        ini->sections[ini->n++] = (ini_section){name, NULL, 0, 0};
        p->sec = &ini->sections[ini->n - 1];
        return RW_OK;
    }
    const char *ks, *ke, *vs, *ve;
    if (!split_kv(ts, te, &ks, &ke, &vs, &ve))
        return parse_error(p, line, "expected [section], \"key = value\" or a comment");
    if (!p->sec) return parse_error(p, line, "a setting before any [section]");
    int rc = add_key(p, line, ks, ke, vs, ve);
    if (rc) return rc;
    p->cur_indent = indent;
    p->cur_nested = vs == ve;
    if (p->cur_nested) p->cur_prefix = rw_xstrdup(p->sec->entries[p->cur].key);
    return RW_OK;
}

int rw_ini_parse(rw_ini **out, const char *text, size_t len, const char *name) {
    *out = NULL;
    ini_parser p = {.ini = rw_xcalloc(1, sizeof(rw_ini)), .name = name ? name : "(config)"};
    int rc = RW_OK, line = 0;
    size_t off = 0;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) off = 3; /* a UTF-8 byte order mark */
    while (off < len) {
        const char *s = text + off, *nl = memchr(s, '\n', len - off);
        const char *e = nl ? nl : text + len;
        line++;
        if (memchr(s, '\0', (size_t)(e - s))) {
            rc = parse_error(&p, line, "a NUL byte");
            break;
        }
        rc = parse_line(&p, line, s, e);
        if (rc) break;
        off = (size_t)(e - text) + (nl ? 1 : 0);
    }
    free(p.cur_prefix);
    if (rc) {
        rw_ini_free(p.ini);
        return rc;
    }
    *out = p.ini;
    return RW_OK;
}

int rw_ini_load(rw_ini **out, const char *path) {
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT || errno == ENOTDIR) return rw_ini_parse(out, "", 0, path);
        return rw_error_set(RW_EINVAL, "cannot read %s: %s", path, strerror(errno));
    }
    setvbuf(f, NULL, _IONBF, 0); /* no copy of the file in stdio's buffer */
    rw_buf b;
    rw_buf_init(&b, INI_MAX_FILE);
    rw_buf_set_secret(&b); /* the credentials file holds secrets */
    int rc = RW_OK;
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (rw_buf_append(&b, chunk, n)) {
            rc = rw_error_set(RW_EINVAL, "%s is larger than %zu bytes: not a config file", path,
                              INI_MAX_FILE);
            break;
        }
    }
    if (!rc && ferror(f)) rc = rw_error_set(RW_EINVAL, "cannot read %s: %s", path, strerror(errno));
    fclose(f);
    rw_secret_wipe(chunk, sizeof chunk);
    if (!rc) rc = rw_ini_parse(out, b.data ? b.data : "", b.len, path);
    rw_buf_free(&b);
    return rc;
}

void rw_ini_free(rw_ini *ini) {
    if (!ini) return;
    for (size_t i = 0; i < ini->n; i++) {
        ini_section *s = &ini->sections[i];
        for (size_t j = 0; j < s->n; j++) {
            free(s->entries[j].key);
            rw_secret_free(s->entries[j].value, s->entries[j].value_len + 1);
        }
        free(s->entries);
        free(s->name);
    }
    free(ini->sections);
    free(ini);
}

const char *rw_ini_get(const rw_ini *ini, const char *section, const char *key) {
    if (!ini || !section || !key) return NULL;
    const ini_section *s = find_section(ini, section);
    if (!s) return NULL;
    const ini_entry *e = find_entry(s, key);
    return e ? e->value : NULL;
}

bool rw_ini_has_section(const rw_ini *ini, const char *section) {
    return ini && section && find_section(ini, section);
}

/* ---- settings ------------------------------------------------------------------------------ */

static const char *env(const char *name) {
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* The config file's section for a profile: "default" may be written [default] or
 * [profile default]. */
static const char *config_section(const rw_ini *config, const char *profile, char **tmp) {
    *tmp = NULL;
    if (strcmp(profile, "default") == 0 && rw_ini_has_section(config, "default")) return "default";
    rw_buf b;
    rw_buf_init(&b, 0);
    rw_buf_printf(&b, "profile %s", profile);
    *tmp = rw_buf_take(&b);
    return *tmp;
}

const char *rw_aws_profile_get(const rw_aws_config *c, const char *profile, const char *key) {
    if (!c || !profile || !key) return NULL;
    char *tmp;
    const char *v = rw_ini_get(c->config, config_section(c->config, profile, &tmp), key);
    free(tmp);
    if (!v) v = rw_ini_get(c->credentials, profile, key);
    return v;
}

const char *rw_aws_config_get(const rw_aws_config *c, const char *key) {
    return c ? rw_aws_profile_get(c, c->profile, key) : NULL;
}

static bool profile_exists(const rw_aws_config *c, const char *profile) {
    char *tmp;
    bool in_config = rw_ini_has_section(c->config, config_section(c->config, profile, &tmp));
    free(tmp);
    return in_config || rw_ini_has_section(c->credentials, profile);
}

static char *home_dir(void) {
    const char *h = env("HOME");
    if (h) return rw_xstrdup(h);
    struct passwd *pw = getpwuid(getuid());
    return pw && pw->pw_dir && *pw->pw_dir ? rw_xstrdup(pw->pw_dir) : NULL;
}

/* The file named by the variable (with a leading "~/" expanded), else ~/.aws/<name>. */
static char *file_path(const char *var, const char *name) {
    const char *v = env(var);
    rw_buf b;
    rw_buf_init(&b, 0);
    if (v && !(v[0] == '~' && (v[1] == '/' || v[1] == 0))) return rw_xstrdup(v);
    char *home = home_dir();
    if (!home) return v ? rw_xstrdup(v) : NULL;
    if (v)
        rw_buf_printf(&b, "%s%s", home, v + 1);
    else
        rw_buf_printf(&b, "%s/.aws/%s", home, name);
    free(home);
    return rw_buf_take(&b);
}

static bool valid_region(const char *r) {
    size_t n = strlen(r);
    if (n == 0 || n > 64) return false;
    for (const char *p = r; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-') return false;
    return true;
}

static int parse_attempts(const char *s, const char *source, int *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    while (*end && is_blank(*end)) end++;
    if (errno || end == s || *end || v < 1 || v > 20)
        return rw_error_set(
            RW_EINVAL, "max_attempts \"%s\" from %s: expected a number from 1 to 20", s, source);
    *out = (int)v;
    return RW_OK;
}

static char *strip_slashes(const char *url) {
    size_t n = strlen(url);
    while (n > 0 && url[n - 1] == '/') n--;
    return rw_xstrndup(url, n);
}

int rw_aws_config_load(rw_aws_config **out, const rw_aws_opts *opts) {
    static const rw_aws_opts none;
    if (!opts) opts = &none;
    *out = NULL;
    rw_aws_config *c = rw_xcalloc(1, sizeof *c);
    int rc = RW_OK;
    rw_buf src;
    rw_buf_init(&src, 0);

    if (opts->profile && *opts->profile) {
        c->profile = rw_xstrdup(opts->profile);
        c->profile_explicit = true;
        c->profile_option = true;
    } else if (env("AWS_PROFILE")) {
        c->profile = rw_xstrdup(env("AWS_PROFILE"));
        c->profile_explicit = true;
    } else {
        c->profile = rw_xstrdup("default");
    }

    c->config_path = file_path("AWS_CONFIG_FILE", "config");
    c->credentials_path = file_path("AWS_SHARED_CREDENTIALS_FILE", "credentials");
    rc = c->config_path ? rw_ini_load(&c->config, c->config_path)
                        : rw_ini_parse(&c->config, "", 0, "(no config file)");
    if (rc) goto done;
    rc = c->credentials_path ? rw_ini_load(&c->credentials, c->credentials_path)
                             : rw_ini_parse(&c->credentials, "", 0, "(no credentials file)");
    if (rc) goto done;

    if (c->profile_explicit && !profile_exists(c, c->profile)) {
        rc = rw_error_set(RW_EINVAL, "profile %s not found in %s and %s", c->profile,
                          c->config_path ? c->config_path : "(no config file)",
                          c->credentials_path ? c->credentials_path : "(no credentials file)");
        goto done;
    }

    const char *region = NULL;
    if (opts->region && *opts->region) {
        region = opts->region;
        rw_buf_puts(&src, "--region");
    } else if ((region = env("AWS_REGION"))) {
        rw_buf_puts(&src, "AWS_REGION");
    } else if ((region = env("AWS_DEFAULT_REGION"))) {
        rw_buf_puts(&src, "AWS_DEFAULT_REGION");
    } else if ((region = rw_aws_config_get(c, "region")) && *region) {
        rw_buf_printf(&src, "profile %s", c->profile);
    } else {
        region = NULL;
    }
    if (region) {
        if (!valid_region(region)) {
            rc = rw_error_set(RW_EINVAL, "region \"%s\" from %s is not a region name", region,
                              src.data);
            goto done;
        }
        c->region = rw_xstrdup(region);
        c->region_source = rw_buf_take(&src);
    }

    if (opts->endpoint_url && *opts->endpoint_url)
        c->endpoint_url = strip_slashes(opts->endpoint_url);

    c->max_attempts = 5;
    const char *attempts = env("AWS_MAX_ATTEMPTS");
    if (attempts) {
        rc = parse_attempts(attempts, "AWS_MAX_ATTEMPTS", &c->max_attempts);
    } else if ((attempts = rw_aws_config_get(c, "max_attempts"))) {
        rw_buf_reset(&src);
        rw_buf_printf(&src, "profile %s", c->profile);
        rc = parse_attempts(attempts, src.data, &c->max_attempts);
    }

done:
    rw_buf_free(&src);
    if (rc) {
        rw_aws_config_free(c);
        return rc;
    }
    *out = c;
    return RW_OK;
}

void rw_aws_config_free(rw_aws_config *c) {
    if (!c) return;
    free(c->profile);
    free(c->region);
    free(c->region_source);
    free(c->endpoint_url);
    free(c->config_path);
    free(c->credentials_path);
    rw_ini_free(c->config);
    rw_ini_free(c->credentials);
    free(c);
}

/* ---- partitions and endpoints -------------------------------------------------------------- */

const char *rw_aws_partition(const char *region) {
    if (region && strncmp(region, "cn-", 3) == 0) return "aws-cn";
    if (region && strncmp(region, "us-gov-", 7) == 0) return "aws-us-gov";
    return "aws";
}

/* rootwatch's service names and the SDK service ids that name their endpoint settings */
static const struct {
    const char *service, *env_id, *config_id;
} service_ids[] = {
    {"s3", "S3", "s3"},
    {"sts", "STS", "sts"},
    {"iam", "IAM", "iam"},
    {"sns", "SNS", "sns"},
    {"sqs", "SQS", "sqs"},
    {"cloudtrail", "CLOUDTRAIL", "cloudtrail"},
    {"logs", "CLOUDWATCH_LOGS", "cloudwatch_logs"},
    {"monitoring", "CLOUDWATCH", "cloudwatch"},
    {"events", "EVENTBRIDGE", "eventbridge"},
    {"config", "CONFIG_SERVICE", "config_service"},
    {"lambda", "LAMBDA", "lambda"},
    {"cloudformation", "CLOUDFORMATION", "cloudformation"},
    {"organizations", "ORGANIZATIONS", "organizations"},
};

/* The service id as the settings spell it: upper case for variables, lower for the config
 * file, with spaces and dashes as underscores. */
static char *service_id(const char *service, bool upper) {
    for (size_t i = 0; i < sizeof service_ids / sizeof service_ids[0]; i++)
        if (strcmp(service_ids[i].service, service) == 0)
            return rw_xstrdup(upper ? service_ids[i].env_id : service_ids[i].config_id);
    char *id = rw_xstrdup(service);
    for (char *p = id; *p; p++) {
        if (*p == ' ' || *p == '-')
            *p = '_';
        else
            *p = (char)(upper ? toupper((unsigned char)*p) : tolower((unsigned char)*p));
    }
    return id;
}

static bool ignore_configured_endpoints(const rw_aws_config *c) {
    const char *v = env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
    if (!v && c) v = rw_aws_config_get(c, "ignore_configured_endpoint_urls");
    return v && strcasecmp(v, "true") == 0;
}

/* An endpoint set by the environment or the profile, or NULL. */
static char *configured_endpoint(const rw_aws_config *c, const char *service) {
    char *id = service_id(service, true);
    rw_buf b;
    rw_buf_init(&b, 0);
    rw_buf_printf(&b, "AWS_ENDPOINT_URL_%s", id);
    free(id);
    const char *v = env(b.data);
    rw_buf_free(&b);
    if (!v) v = env("AWS_ENDPOINT_URL");
    if (!v && c) {
        /* services = NAME points at a [services NAME] section of per-service settings */
        const char *services = rw_aws_config_get(c, "services");
        if (services && *services) {
            char *cid = service_id(service, false);
            rw_buf sec, key;
            rw_buf_init(&sec, 0);
            rw_buf_init(&key, 0);
            rw_buf_printf(&sec, "services %s", services);
            rw_buf_printf(&key, "%s.endpoint_url", cid);
            v = rw_ini_get(c->config, sec.data, key.data);
            free(cid);
            rw_buf_free(&sec);
            rw_buf_free(&key);
        }
        if (!v || !*v) v = rw_aws_config_get(c, "endpoint_url");
    }
    return v && *v ? strip_slashes(v) : NULL;
}

char *rw_aws_endpoint(const rw_aws_config *c, const char *service, const char *region) {
    if (c && c->endpoint_url) return strip_slashes(c->endpoint_url);
    if (!ignore_configured_endpoints(c)) {
        char *url = configured_endpoint(c, service);
        if (url) return url;
    }
    if (!region || !*region) region = "us-east-1";
    const char *partition = rw_aws_partition(region);
    bool cn = strcmp(partition, "aws-cn") == 0, gov = strcmp(partition, "aws-us-gov") == 0;
    const char *suffix = cn ? "amazonaws.com.cn" : "amazonaws.com";
    rw_buf b;
    rw_buf_init(&b, 0);
    if (strcmp(service, "iam") == 0) { /* global: one endpoint per partition */
        rw_buf_puts(&b, cn    ? "https://iam.cn-north-1.amazonaws.com.cn"
                        : gov ? "https://iam.us-gov.amazonaws.com"
                              : "https://iam.amazonaws.com");
    } else if (strcmp(service, "organizations") == 0) {
        rw_buf_puts(&b, cn    ? "https://organizations.cn-northwest-1.amazonaws.com.cn"
                        : gov ? "https://organizations.us-gov-west-1.amazonaws.com"
                              : "https://organizations.us-east-1.amazonaws.com");
    } else {
        rw_buf_printf(&b, "https://%s.%s.%s", service, region, suffix);
    }
    return rw_buf_take(&b);
}
