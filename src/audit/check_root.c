/* The root user's own checks: root-mfa, root-hardware-mfa, root-access-keys, root-recent-use
 * (docs/audit.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/audit_impl.h"
#include "aws/xml.h"
#include "util/err.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

int rw_audit_read_summary(rw_audit_ctx *a) {
    if (a->summary_step.state) return a->summary_step.state > 0 ? RW_OK : RW_EIO;
    rw_xml *x = NULL;
    if (rw_aws_query(a->c, &rw_aws_iam, NULL, "GetAccountSummary", NULL, &x) != RW_OK)
        return rw_audit_step_fail(a->c, &a->summary_step, "iam:GetAccountSummary",
                                  "IAM GetAccountSummary");
    a->mfa_enabled = a->keys_present = -1;
    for (const rw_xml *e = rw_xml_find(x, "GetAccountSummaryResult/SummaryMap/entry"); e;
         e = rw_xml_next(e, NULL)) {
        const char *k = rw_xml_text(e, "key"), *v = rw_xml_text(e, "value");
        if (!k || !v) continue;
        if (!strcmp(k, "AccountMFAEnabled")) a->mfa_enabled = strtol(v, NULL, 10);
        if (!strcmp(k, "AccountAccessKeysPresent")) a->keys_present = strtol(v, NULL, 10);
    }
    rw_xml_free(x);
    a->summary_step.state = 1;
    return RW_OK;
}

static void check_mfa(rw_audit_ctx *a, const rw_audit_check *chk) {
    rw_audit_finding *f = rw_audit_add(a, chk, NULL);
    char root[128];
    snprintf(root, sizeof root, "arn:%s:iam::%s:root", a->partition, a->account);
    rw_audit_set_resource(f, root);
    if (rw_audit_read_summary(a) != RW_OK) {
        rw_audit_error_from(f, &a->summary_step, NULL);
    } else if (a->mfa_enabled == 1) {
        rw_audit_set(f, RW_AUDIT_PASS, "IAM GetAccountSummary: AccountMFAEnabled 1 (%s has MFA)",
                     root);
    } else {
        rw_audit_set(f, RW_AUDIT_FAIL,
                     "IAM GetAccountSummary: AccountMFAEnabled %ld: the root user %s signs in "
                     "with its password alone",
                     a->mfa_enabled, root);
        rw_audit_set_missing(f, "person:root-mfa",
                             "an MFA device for the root user (a person's to do)");
        rw_audit_set_fix(f, "sign in as the root user, open Security credentials and assign an "
                            "MFA device (a hardware key or passkey: see root-hardware-mfa); no API "
                            "call can do it for the root user");
    }
}

typedef struct vmfa {
    rw_buf root_devices;
    size_t seen;
} vmfa;

static int on_vmfa(void *ctx, const rw_xml *reply) {
    vmfa *v = ctx;
    for (const rw_xml *m =
             rw_xml_find(reply, "ListVirtualMFADevicesResult/VirtualMFADevices/member");
         m; m = rw_xml_next(m, NULL)) {
        v->seen++;
        const char *serial = rw_xml_text(m, "SerialNumber");
        const char *user = rw_xml_text(m, "User/Arn");
        size_t ul = user ? strlen(user) : 0;
        bool root = (ul > 5 && !strcmp(user + ul - 5, ":root")) ||
                    (serial && strstr(serial, ":mfa/root-account-mfa-device"));
        if (root)
            rw_buf_printf(&v->root_devices, "%s%s", v->root_devices.len ? ", " : "",
                          serial ? serial : "?");
    }
    return 0;
}

static void check_hardware_mfa(rw_audit_ctx *a, const rw_audit_check *chk) {
    rw_audit_finding *f = rw_audit_add(a, chk, NULL);
    char root[128];
    snprintf(root, sizeof root, "arn:%s:iam::%s:root", a->partition, a->account);
    rw_audit_set_resource(f, root);
    if (rw_audit_read_summary(a) != RW_OK) {
        rw_audit_error_from(f, &a->summary_step, NULL);
        return;
    }
    vmfa v = {0};
    rw_buf_init(&v.root_devices, 0);
    const char *params[] = {"AssignmentStatus", "Assigned", NULL};
    if (rw_aws_query_pages(a->c, &rw_aws_iam, NULL, "ListVirtualMFADevices", params, "Marker",
                           "ListVirtualMFADevicesResult/Marker", on_vmfa, &v) != RW_OK) {
        rw_audit_call_error(a->c, f, "iam:ListVirtualMFADevices", "IAM ListVirtualMFADevices");
    } else if (v.root_devices.len) {
        rw_audit_set(f, RW_AUDIT_FAIL,
                     "the root user's MFA is a virtual device: %s (IAM ListVirtualMFADevices, "
                     "assigned)",
                     v.root_devices.data);
        rw_audit_set_resource(f, v.root_devices.data);
        rw_audit_set_missing(f, "person:root-hardware-mfa",
                             "a hardware MFA device (or passkey) for the root user, in place "
                             "of %s (a person's to do)",
                             v.root_devices.data);
        rw_audit_set_fix(f,
                         "sign in as the root user, assign a hardware MFA key or passkey, then "
                         "remove the virtual device %s",
                         v.root_devices.data);
    } else if (a->mfa_enabled != 1) {
        rw_audit_set(f, RW_AUDIT_FAIL,
                     "the root user has no MFA at all (AccountMFAEnabled %ld; see root-mfa)",
                     a->mfa_enabled);
        rw_audit_set_missing(f, "person:root-hardware-mfa",
                             "a hardware MFA device for the root user (a person's to do)");
        rw_audit_set_fix(f, "sign in as the root user and assign a hardware MFA key or passkey");
    } else {
        rw_audit_set(f, RW_AUDIT_PASS,
                     "AccountMFAEnabled 1 and none of the %zu assigned virtual MFA device%s is "
                     "the root user's: its MFA is a hardware device or passkey",
                     v.seen, v.seen == 1 ? "" : "s");
    }
    rw_buf_free(&v.root_devices);
}

static void check_access_keys(rw_audit_ctx *a, const rw_audit_check *chk) {
    rw_audit_finding *f = rw_audit_add(a, chk, NULL);
    char root[128];
    snprintf(root, sizeof root, "arn:%s:iam::%s:root", a->partition, a->account);
    rw_audit_set_resource(f, root);
    if (rw_audit_read_summary(a) != RW_OK) {
        rw_audit_error_from(f, &a->summary_step, NULL);
    } else if (a->keys_present == 0) {
        rw_audit_set(f, RW_AUDIT_PASS,
                     "IAM GetAccountSummary: AccountAccessKeysPresent 0 (the root user %s has no "
                     "access key)",
                     root);
    } else {
        rw_audit_set(f, RW_AUDIT_FAIL,
                     "IAM GetAccountSummary: AccountAccessKeysPresent %ld: the root user %s has "
                     "an access key",
                     a->keys_present, root);
        rw_audit_set_missing(f, "person:root-access-keys", "no access key for the root user");
        rw_audit_set_fix(f, "sign in as the root user, open Security credentials, deactivate "
                            "then delete its access keys (or, signed in with that key: aws iam "
                            "delete-access-key --access-key-id KEY_ID)");
    }
}

/* ---- root-recent-use: the credential report ------------------------------------------------ */

static int b64(int c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* Decodes base64 text (whitespace skipped, '=' ends it) into out. */
static int base64_decode(rw_buf *out, const char *s) {
    unsigned acc = 0;
    int bits = 0;
    for (; *s && *s != '='; s++) {
        if (*s == '\n' || *s == '\r' || *s == ' ') continue;
        int v = b64((unsigned char)*s);
        if (v < 0) return rw_error_set(RW_EINVAL, "the report is not base64");
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            rw_buf_putc(out, (char)((acc >> bits) & 0xff));
        }
    }
    return RW_OK;
}

/* Splits one CSV line (no quoted commas in a credential report) into at most cap fields,
 * in place. */
static size_t split(char *line, char **fields, size_t cap) {
    size_t n = 0;
    for (char *p = line; p && n < cap;) {
        fields[n++] = p;
        p = strchr(p, ',');
        if (p) *p++ = 0;
    }
    return n;
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Gets the report's CSV into out: generates it and waits for it as needed. */
static int get_report(rw_audit_ctx *a, rw_buf *out, rw_audit_finding *f) {
    long wait = a->o->report_wait_ms > 0 ? a->o->report_wait_ms : 60000;
    int64_t deadline = rw_time_now_ms() + wait;
    bool generated = false;
    long pause = 250; /* between asks: 250 ms, doubling to 2 s (a small account's report is
                         ready within a second; a large one's takes longer) */
    for (;;) {
        if (!generated) {
            rw_xml *x = NULL;
            if (rw_aws_query(a->c, &rw_aws_iam, NULL, "GenerateCredentialReport", NULL, &x) !=
                RW_OK) {
                rw_audit_call_error(a->c, f, "iam:GenerateCredentialReport",
                                    "IAM GenerateCredentialReport");
                return RW_EIO;
            }
            const char *state = rw_xml_text(x, "GenerateCredentialReportResult/State");
            generated = state && !strcmp(state, "COMPLETE");
            rw_xml_free(x);
            if (!generated) {
                if (rw_time_now_ms() > deadline) break;
                sleep_ms(pause);
                pause = pause < 2000 ? pause * 2 : 2000;
                continue;
            }
        }
        rw_xml *x = NULL;
        if (rw_aws_query(a->c, &rw_aws_iam, NULL, "GetCredentialReport", NULL, &x) == RW_OK) {
            const char *content = rw_xml_text(x, "GetCredentialReportResult/Content");
            int rc = content ? base64_decode(out, content)
                             : rw_error_set(RW_EIO, "the reply holds no Content");
            rw_xml_free(x);
            if (rc != RW_OK) {
                rw_audit_set(f, RW_AUDIT_ERROR, "IAM GetCredentialReport: %s", rw_error_last());
                return rc;
            }
            return RW_OK;
        }
        const char *code = rw_aws_client_error(a->c)->code;
        if (strstr(code, "ReportInProgress")) {
            /* being generated: ask again */
        } else if (strstr(code, "ReportExpired") || strstr(code, "ReportNotPresent")) {
            generated = false; /* older than 4 hours, or none: a new one */
        } else {
            rw_audit_call_error(a->c, f, "iam:GetCredentialReport", "IAM GetCredentialReport");
            return RW_EIO;
        }
        if (rw_time_now_ms() > deadline) break;
        sleep_ms(pause);
        pause = pause < 2000 ? pause * 2 : 2000;
    }
    rw_audit_set(f, RW_AUDIT_ERROR,
                 "IAM credential report: not ready after %ld ms of GenerateCredentialReport and "
                 "GetCredentialReport (ReportInProgress)",
                 wait);
    return RW_ERETRY;
}

static void check_recent_use(rw_audit_ctx *a, const rw_audit_check *chk) {
    rw_audit_finding *f = rw_audit_add(a, chk, NULL);
    char root[128];
    snprintf(root, sizeof root, "arn:%s:iam::%s:root", a->partition, a->account);
    rw_audit_set_resource(f, root);
    rw_buf csv;
    rw_buf_init(&csv, 0);
    if (get_report(a, &csv, f) != RW_OK) {
        rw_buf_free(&csv);
        return;
    }
    rw_buf_putc(&csv, 0);
    enum { USER, PWD, K1, K2, NCOLS };
    static const char *const names[NCOLS] = {
        "user", "password_last_used", "access_key_1_last_used_date", "access_key_2_last_used_date"};
    static const char *const what[NCOLS] = {"", "password (console sign-in)", "access key 1",
                                            "access key 2"};
    int col[NCOLS] = {-1, -1, -1, -1};
    char *save = NULL, *line = strtok_r(csv.data, "\r\n", &save);
    char *fields[64];
    size_t nf = line ? split(line, fields, 64) : 0;
    for (size_t i = 0; i < nf; i++)
        for (int c = 0; c < NCOLS; c++)
            if (!strcmp(fields[i], names[c])) col[c] = (int)i;
    char **row = NULL;
    size_t nrow = 0;
    if (col[USER] >= 0)
        while ((line = strtok_r(NULL, "\r\n", &save))) {
            nrow = split(line, fields, 64);
            if ((size_t)col[USER] < nrow && !strcmp(fields[col[USER]], "<root_account>")) {
                row = fields;
                break;
            }
        }
    if (!row) {
        rw_audit_set(f, RW_AUDIT_ERROR,
                     "IAM GetCredentialReport: the report has %s (columns read: user, "
                     "password_last_used, access_key_N_last_used_date)",
                     col[USER] < 0 ? "no user column" : "no <root_account> row");
        rw_buf_free(&csv);
        return;
    }
    int64_t now = a->o->now, since = now - (int64_t)a->o->days * 86400;
    rw_buf ev, recent;
    rw_buf_init(&ev, 0);
    rw_buf_init(&recent, 0);
    rw_buf_puts(&ev, "credential report, row <root_account>:");
    for (int c = PWD; c < NCOLS; c++) {
        const char *v = col[c] >= 0 && (size_t)col[c] < nrow ? row[col[c]] : "(no column)";
        int64_t t = 0;
        rw_buf_printf(&ev, "%s %s %s", c == PWD ? "" : ";", names[c], v);
        if (!strcmp(v, "N/A"))
            rw_buf_puts(&ev, c == PWD ? " (never used)" : " (no such key, or never used)");
        else if (!strcmp(v, "no_information"))
            rw_buf_puts(&ev, " (not used since October 2014, when IAM began to record it)");
        else if (!strcmp(v, "not_supported"))
            rw_buf_puts(&ev, " (not recorded for this credential)");
        else if (rw_time_parse(v, &t) == RW_OK) {
            long days = (long)((now - t) / 86400);
            rw_buf_printf(&ev, " (%ld day%s ago)", days, days == 1 ? "" : "s");
            if (t >= since)
                rw_buf_printf(&recent, "%s%s on %s", recent.len ? ", " : "", what[c], v);
        }
    }
    if (recent.len) {
        rw_audit_set(f, RW_AUDIT_FAIL, "the root user was used within the last %d days: %s; %s",
                     a->o->days, recent.data, ev.data);
        rw_audit_set_missing(f, "person:root-use-review",
                             "no use of the root user within %d days: a person must find "
                             "out who used it, and why",
                             a->o->days);
        rw_audit_set_fix(f,
                         "find out who used the root user and why (rootwatch scan on the trail's "
                         "files, or CloudTrail event history: aws cloudtrail lookup-events "
                         "--lookup-attributes AttributeKey=Username,AttributeValue=root); do "
                         "daily work with IAM roles; keep root for the tasks only it can do");
    } else {
        rw_audit_set(f, RW_AUDIT_PASS, "the root user was not used within the last %d days: %s",
                     a->o->days, ev.data);
    }
    rw_buf_free(&ev);
    rw_buf_free(&recent);
    rw_buf_free(&csv);
}

/* clang-format off */
static const char *const c_mfa[] = {"CIS-1.4.0 1.5", "CIS-3.0.0 1.5", "CIS-5.0.0 1.4", "SecurityHub IAM.9", NULL};
static const char *const c_hw[] = {"CIS-1.4.0 1.6", "CIS-3.0.0 1.6", "CIS-5.0.0 1.5", "SecurityHub IAM.6", NULL};
static const char *const c_keys[] = {"CIS-1.4.0 1.4", "CIS-3.0.0 1.4", "CIS-5.0.0 1.3", "SecurityHub IAM.4", NULL};
static const char *const c_use[] = {"CIS-1.4.0 1.7", "CIS-3.0.0 1.7", "CIS-5.0.0 1.6", NULL};
/* clang-format on */

const rw_audit_check rw_audit_root_checks[] = {
    {"root-mfa", "the root user has MFA", c_mfa, check_mfa},
    {"root-hardware-mfa", "the root user's MFA is not a virtual device", c_hw, check_hardware_mfa},
    {"root-access-keys", "the root user has no access key", c_keys, check_access_keys},
    {"root-recent-use", "the root user was not used within --days days (credential report)", c_use,
     check_recent_use},
    {NULL, NULL, NULL, NULL},
};
