#include "rules/root.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/err.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

/* The actions that change who can get in, what is logged, or who owns the account. */
static const struct sensitive {
    const char *service; /* eventSource before ".amazonaws.com" */
    const char *name;
    const char *what;
} sensitive[] = {
    {"iam", "CreateAccessKey", "creates an access key, a long-term credential"},
    {"iam", "UpdateAccessKey", "activates or deactivates an access key"},
    {"iam", "CreateLoginProfile", "gives a user a console password"},
    {"iam", "UpdateLoginProfile", "changes a user's console password"},
    {"iam", "DeleteLoginProfile", "removes a user's console password"},
    {"iam", "DeactivateMFADevice", "turns off an MFA device"},
    {"iam", "DeleteVirtualMFADevice", "deletes an MFA device"},
    {"iam", "EnableMFADevice", "registers an MFA device"},
    {"iam", "ResyncMFADevice", "resynchronises an MFA device"},
    {"iam", "CreateUser", "creates an IAM user"},
    {"iam", "CreateRole", "creates an IAM role"},
    {"iam", "UpdateAssumeRolePolicy", "changes who can assume a role"},
    {"iam", "AttachUserPolicy", "grants permissions to a user"},
    {"iam", "PutUserPolicy", "grants permissions to a user"},
    {"iam", "AttachGroupPolicy", "grants permissions to a group"},
    {"iam", "PutGroupPolicy", "grants permissions to a group"},
    {"iam", "AttachRolePolicy", "grants permissions to a role"},
    {"iam", "PutRolePolicy", "grants permissions to a role"},
    {"iam", "AddUserToGroup", "adds a user to a group"},
    {"iam", "CreatePolicyVersion", "changes a managed policy"},
    {"iam", "SetDefaultPolicyVersion", "changes a managed policy"},
    {"iam", "UpdateAccountPasswordPolicy", "changes the account's password policy"},
    {"iam", "DeleteAccountPasswordPolicy", "removes the account's password policy"},
    {"iam", "CreateSAMLProvider", "adds a SAML identity provider"},
    {"iam", "UpdateSAMLProvider", "changes a SAML identity provider"},
    {"iam", "CreateOpenIDConnectProvider", "adds an OpenID Connect identity provider"},
    {"iam", "UploadSigningCertificate", "adds a signing certificate, a credential"},
    {"iam", "UploadSSHPublicKey", "adds an SSH public key, a credential"},
    {"iam", "CreateServiceSpecificCredential", "creates a service-specific credential"},
    {"sts", "GetFederationToken", "creates federated credentials from the root user"},
    {"cloudtrail", "StopLogging", "stops a CloudTrail trail"},
    {"cloudtrail", "DeleteTrail", "deletes a CloudTrail trail"},
    {"cloudtrail", "UpdateTrail", "changes a CloudTrail trail"},
    {"cloudtrail", "PutEventSelectors", "changes what a trail records"},
    {"cloudtrail", "DeleteEventDataStore", "deletes a CloudTrail Lake event data store"},
    {"cloudtrail", "StopEventDataStoreIngestion", "stops a CloudTrail Lake event data store"},
    {"config", "StopConfigurationRecorder", "stops AWS Config recording"},
    {"config", "DeleteConfigurationRecorder", "deletes the AWS Config recorder"},
    {"config", "DeleteDeliveryChannel", "deletes the AWS Config delivery channel"},
    {"config", "DeleteConfigRule", "deletes an AWS Config rule"},
    {"guardduty", "DeleteDetector", "turns off GuardDuty"},
    {"guardduty", "UpdateDetector", "changes or suspends GuardDuty"},
    {"guardduty", "DisassociateFromMasterAccount", "leaves the GuardDuty administrator"},
    {"guardduty", "DisassociateFromAdministratorAccount", "leaves the GuardDuty administrator"},
    {"securityhub", "DisableSecurityHub", "turns off Security Hub"},
    {"access-analyzer", "DeleteAnalyzer", "deletes an IAM Access Analyzer"},
    {"monitoring", "DeleteAlarms", "deletes CloudWatch alarms"},
    {"monitoring", "DisableAlarmActions", "silences CloudWatch alarms"},
    {"logs", "DeleteLogGroup", "deletes a CloudWatch Logs log group"},
    {"logs", "DeleteMetricFilter", "deletes a CloudWatch Logs metric filter"},
    {"events", "DeleteRule", "deletes an EventBridge rule"},
    {"events", "DisableRule", "disables an EventBridge rule"},
    {"events", "RemoveTargets", "removes targets from an EventBridge rule"},
    {"sns", "DeleteTopic", "deletes an SNS topic"},
    {"sns", "Unsubscribe", "removes an SNS subscription"},
    {"organizations", "LeaveOrganization", "takes the account out of its organization"},
    {"organizations", "DeleteOrganization", "deletes the organization"},
    {"organizations", "RemoveAccountFromOrganization", "removes an account from the organization"},
    {"organizations", "DetachPolicy", "detaches an organization policy (such as an SCP)"},
    {"organizations", "DeletePolicy", "deletes an organization policy"},
    {"organizations", "UpdatePolicy", "changes an organization policy"},
    {"organizations", "CloseAccount", "closes a member account"},
    {"account", "PutAlternateContact", "changes an alternate contact of the account"},
    {"account", "DeleteAlternateContact", "removes an alternate contact of the account"},
    {"account", "PutContactInformation", "changes the account's contact information"},
    {"account", "StartPrimaryEmailUpdate", "starts changing the root user's email address"},
    {"account", "AcceptPrimaryEmailUpdate", "changes the root user's email address"},
    {"account", "CloseAccount", "closes the account"},
    {"account", "DisableRegion", "disables a Region"},
    {"account", "EnableRegion", "enables a Region"},
    {"s3", "PutBucketPolicy", "changes who can reach a bucket"},
    {"s3", "DeleteBucketPolicy", "removes a bucket policy"},
    {"s3", "PutBucketAcl", "changes a bucket's access control list"},
    {"s3", "PutBucketPublicAccessBlock", "changes a bucket's public access block"},
    {"s3", "DeleteBucketPublicAccessBlock", "removes a bucket's public access block"},
    {"s3", "PutAccountPublicAccessBlock", "changes the account's S3 public access block"},
    {"s3", "DeleteAccountPublicAccessBlock", "removes the account's S3 public access block"},
    {"kms", "ScheduleKeyDeletion", "schedules a KMS key for deletion"},
    {"kms", "DisableKey", "disables a KMS key"},
    {"kms", "PutKeyPolicy", "changes who can use a KMS key"},
    {"ec2", "DeleteFlowLogs", "deletes VPC flow logs"},
    {"ec2", "ModifySnapshotAttribute", "can share an EBS snapshot"},
    {"ec2", "ModifyImageAttribute", "can share a machine image"},
};

static size_t service_len(const char *source) {
    const char *dot = strchr(source, '.');
    return dot ? (size_t)(dot - source) : strlen(source);
}

const char *rw_root_sensitive(const char *source, const char *name) {
    if (!source || !name) return NULL;
    size_t n = service_len(source);
    for (size_t i = 0; i < sizeof sensitive / sizeof sensitive[0]; i++) {
        const char *svc = sensitive[i].service;
        /* equal for n bytes (strncmp stops at svc's end), then svc ends there: no strlen per entry
         */
        if (svc[0] == source[0] && strncmp(svc, source, n) == 0 && svc[n] == 0 &&
            strcmp(sensitive[i].name, name) == 0)
            return sensitive[i].what;
    }
    return NULL;
}

static void problem(rw_problem_fn fn, void *ctx, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void problem(rw_problem_fn fn, void *ctx, const char *fmt, ...) {
    if (!fn) return;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fn(ctx, msg);
}

/* true/"true" and false/"false", as CloudTrail writes them in different places */
static rw_tri boolish(const rw_json *v) {
    if (!v) return RW_TRI_UNKNOWN;
    if (v->type == RW_JSON_TRUE) return RW_TRI_TRUE;
    if (v->type == RW_JSON_FALSE) return RW_TRI_FALSE;
    if (v->type == RW_JSON_STRING && !rw_json_str_has_nul(v)) {
        if (strcasecmp(v->str, "true") == 0) return RW_TRI_TRUE;
        if (strcasecmp(v->str, "false") == 0) return RW_TRI_FALSE;
    }
    return RW_TRI_UNKNOWN;
}

/* Is this userIdentity object a Root identity (any of its "type" members is "Root")? */
static bool identity_is_root(const rw_json *ui, rw_problem_fn pf, void *ctx) {
    bool root = false;
    size_t ntype = 0;
    for (const rw_json *m = ui->child; m; m = m->next) {
        if (m->key_len != 4 || memcmp(m->key, "type", 4) != 0) continue;
        ntype++;
        if (m->type != RW_JSON_STRING)
            problem(pf, ctx, "userIdentity.type is %s, expected a string",
                    rw_json_type_name(m->type));
        else if (m->len == 4 && memcmp(m->str, "Root", 4) == 0)
            root = true;
    }
    if (ntype > 1)
        problem(pf, ctx,
                "userIdentity has %zu \"type\" members; it counts as root if any is \"Root\"",
                ntype);
    return root;
}

/* The record's Root identity: the first userIdentity member that is Root, even when the record
 * repeats userIdentity (a record that could hide root activity behind a second one is reported). */
static const rw_json *root_identity(const rw_json *rec, rw_problem_fn pf, void *ctx) {
    const rw_json *found = NULL;
    size_t n = 0;
    for (const rw_json *m = rec->child; m; m = m->next) {
        if (m->key_len != 12 || memcmp(m->key, "userIdentity", 12) != 0) continue;
        n++;
        if (m->type != RW_JSON_OBJECT) {
            problem(pf, ctx, "userIdentity is %s, expected an object", rw_json_type_name(m->type));
            continue;
        }
        if (identity_is_root(m, pf, ctx) && !found) found = m;
    }
    if (n > 1)
        problem(pf, ctx,
                "the record has %zu userIdentity members; it counts as root if any is Root", n);
    return found;
}

/* The values of userIdentity.invokedBy that name the AWS Management Console, not a service: AWS's
 * own examples record console actions with invokedBy (and userAgent) signin.amazonaws.com, and
 * AWS documents the user agent console.amazonaws.com as a root user at the console. For the root
 * user that is the person signed in. "AWS Internal" is not one of them: AWS uses it for what AWS
 * itself originates (docs/rules.md). */
static const char *const console_invokers[] = {"signin.amazonaws.com", "console.amazonaws.com"};

bool rw_root_invoked_by_console(const char *by, size_t len) {
    if (!by) return false;
    for (size_t i = 0; i < sizeof console_invokers / sizeof console_invokers[0]; i++)
        if (strlen(console_invokers[i]) == len && memcmp(console_invokers[i], by, len) == 0)
            return true;
    return false;
}

bool rw_root_made_by_service(const rw_json *rec) {
    if (!rec || rec->type != RW_JSON_OBJECT) return false;
    const rw_json *ui = root_identity(rec, NULL, NULL);
    const rw_json *by = ui ? rw_json_get(ui, "invokedBy") : NULL;
    return by && by->type == RW_JSON_STRING && by->len > 0 &&
           !rw_root_invoked_by_console(by->str, by->len);
}

bool rw_root_is_activity(const rw_json *rec, rw_problem_fn pf, void *ctx) {
    if (!rec || rec->type != RW_JSON_OBJECT) return false;
    const rw_json *ui = root_identity(rec, pf, ctx);
    if (!ui) return false;
    const rw_json *by = rw_json_get(ui, "invokedBy");
    if (by && !(by->type == RW_JSON_STRING && rw_root_invoked_by_console(by->str, by->len))) {
        if (by->type != RW_JSON_STRING || by->len == 0)
            problem(pf, ctx,
                    "a Root record has userIdentity.invokedBy set to %s; it is taken as made by an "
                    "AWS service and not reported, check it",
                    by->type == RW_JSON_STRING ? "an empty string" : rw_json_type_name(by->type));
        return false;
    }
    size_t nev = 0;
    bool service = false;
    for (const rw_json *m = rec->child; m; m = m->next) {
        if (m->key_len != 9 || memcmp(m->key, "eventType", 9) != 0) continue;
        nev++;
        if (m->type != RW_JSON_STRING)
            problem(pf, ctx, "eventType is %s, expected a string", rw_json_type_name(m->type));
        else if (rw_json_str_is(m, "AwsServiceEvent"))
            service = true;
    }
    if (nev > 1) problem(pf, ctx, "the record has %zu \"eventType\" members", nev);
    return !service;
}

/* A string member, copied; a problem when present with another type (or, if required, absent). */
static char *field(const rw_json *obj, const char *key, bool required, const char *where,
                   rw_problem_fn pf, void *ctx) {
    const rw_json *v = rw_json_get(obj, key);
    if (!v) {
        if (required) problem(pf, ctx, "the root record has no %s%s", where, key);
        return NULL;
    }
    if (v->type == RW_JSON_NULL) return NULL;
    if (v->type != RW_JSON_STRING) {
        problem(pf, ctx, "%s%s is %s, expected a string", where, key, rw_json_type_name(v->type));
        return NULL;
    }
    size_t nuls;
    char *s = rw_json_str_dup_visible(v, &nuls); /* never cut short at an escaped NUL */
    if (nuls)
        problem(pf, ctx, "%s%s holds %zu NUL character%s (\\u0000), shown as U+FFFD", where, key,
                nuls, nuls == 1 ? "" : "s");
    return s;
}

static void reasons(rw_alert *a) {
    const char *src = a->event_source ? a->event_source : "?";
    int svclen = (int)service_len(src); /* the service, as "%.*s" of src: never cut short */
    const char *name = a->event_name ? a->event_name : "?";
    switch (a->kind) {
    case RW_KIND_CONSOLE_LOGIN:
        if (a->outcome == RW_OUTCOME_FAILURE)
            rw_alert_reason(a, RW_SEV_MEDIUM, "failed root console sign-in");
        else if (a->outcome == RW_OUTCOME_UNKNOWN)
            rw_alert_reason(a, RW_SEV_HIGH, "root console sign-in (outcome not recorded)");
        else if (a->mfa == RW_TRI_FALSE)
            rw_alert_reason(a, RW_SEV_CRITICAL, "root console sign-in without MFA");
        else if (a->mfa == RW_TRI_TRUE)
            rw_alert_reason(a, RW_SEV_HIGH, "root console sign-in with MFA");
        else
            rw_alert_reason(a, RW_SEV_HIGH, "root console sign-in (MFA not recorded)");
        return;
    case RW_KIND_SIGNIN_OTHER:
        if (strcmp(name, "PasswordRecoveryCompleted") == 0)
            rw_alert_reason(a, RW_SEV_CRITICAL, "the root password was reset by password recovery");
        else if (strcmp(name, "PasswordRecoveryRequested") == 0)
            rw_alert_reason(a, RW_SEV_HIGH, "root password recovery was requested");
        else
            rw_alert_reason(a, RW_SEV_HIGH, "root sign-in event %s", name);
        return;
    case RW_KIND_API_CALL:
        break;
    }
    bool failed = a->outcome == RW_OUTCOME_FAILURE;
    const char *what = rw_root_sensitive(a->event_source, a->event_name);
    if (what) {
        if (failed)
            rw_alert_reason(a, RW_SEV_HIGH,
                            "attempted sensitive action %.*s:%s (%s), refused with %s", svclen, src,
                            name, what, a->error_code ? a->error_code : "an error");
        else
            rw_alert_reason(a, RW_SEV_CRITICAL, "sensitive action %.*s:%s: %s", svclen, src, name,
                            what);
    } else if (a->read_only == RW_TRI_TRUE) {
        if (failed)
            rw_alert_reason(a, RW_SEV_LOW, "root read-only call %.*s:%s, refused with %s", svclen,
                            src, name, a->error_code ? a->error_code : "an error");
        else
            rw_alert_reason(a, RW_SEV_MEDIUM, "root read-only call %.*s:%s", svclen, src, name);
    } else {
        if (failed)
            rw_alert_reason(a, RW_SEV_MEDIUM, "root attempted %.*s:%s, refused with %s", svclen,
                            src, name, a->error_code ? a->error_code : "an error");
        else
            rw_alert_reason(a, RW_SEV_HIGH, "root call that can change resources: %.*s:%s", svclen,
                            src, name);
    }
    if (a->credential == RW_CRED_ACCESS_KEY)
        rw_alert_reason(a, RW_SEV_CRITICAL, "a long-term root access key was used (%s)",
                        a->access_key_id ? a->access_key_id : "key id not recorded");
    else if (a->credential == RW_CRED_CONSOLE_SESSION && a->mfa == RW_TRI_FALSE)
        rw_alert_reason(a, RW_SEV_HIGH, "root session without MFA");
    else if (a->credential == RW_CRED_ASSUMED_ROOT)
        rw_alert_reason(a, RW_SEV_LOW, "task-scoped root session opened with sts:AssumeRoot");
}

rw_alert *rw_root_classify(const rw_json *rec, const rw_json *env, rw_problem_fn pf, void *ctx) {
    rw_alert *a = rw_xcalloc(1, sizeof *a);
    const rw_json *ui = root_identity(rec, NULL, NULL);
    bool root = ui != NULL;
    if (!ui) ui = rw_json_get(rec, "userIdentity"); /* a rule about another principal */
    a->time = INT64_MIN;
    const rw_json *id = rw_json_get(rec, "eventID"); /* unusable: rw_detector_check derives one */
    if (id && id->type == RW_JSON_STRING && id->len && !rw_json_str_has_nul(id))
        a->event_id = rw_xstrndup(id->str, id->len);
    a->event_time = field(rec, "eventTime", true, "", pf, ctx);
    if (a->event_time && rw_time_parse(a->event_time, &a->time) != RW_OK) {
        problem(pf, ctx, "eventTime '%s' is not a valid time", a->event_time);
        a->time = INT64_MIN;
    }
    a->account = field(rec, "recipientAccountId", false, "", pf, ctx);
    if (!a->account) a->account = field(ui, "accountId", false, "userIdentity.", pf, ctx);
    if (!a->account && env) a->account = field(env, "account", false, "the event's ", pf, ctx);
    a->region = field(rec, "awsRegion", false, "", pf, ctx);
    if (!a->region && env) a->region = field(env, "region", false, "the event's ", pf, ctx);
    a->event_source = field(rec, "eventSource", true, "", pf, ctx);
    a->event_name = field(rec, "eventName", true, "", pf, ctx);
    a->source_ip = field(rec, "sourceIPAddress", false, "", pf, ctx);
    a->user_agent = field(rec, "userAgent", false, "", pf, ctx);
    a->error_code = field(rec, "errorCode", false, "", pf, ctx);
    a->error_message = field(rec, "errorMessage", false, "", pf, ctx);
    a->access_key_id = field(ui, "accessKeyId", false, "userIdentity.", pf, ctx);
    if (a->access_key_id && !*a->access_key_id) {
        free(a->access_key_id);
        a->access_key_id = NULL;
    }

    const char *name = a->event_name ? a->event_name : "";
    const char *etype = rw_json_get_str(rec, "eventType");
    if (strcmp(name, "ConsoleLogin") == 0)
        a->kind = RW_KIND_CONSOLE_LOGIN;
    else if ((a->event_source && strcmp(a->event_source, "signin.amazonaws.com") == 0) ||
             (etype && strcmp(etype, "AwsConsoleSignIn") == 0))
        a->kind = RW_KIND_SIGNIN_OTHER;
    else
        a->kind = RW_KIND_API_CALL;

    if (a->kind == RW_KIND_API_CALL) {
        a->outcome = a->error_code ? RW_OUTCOME_FAILURE : RW_OUTCOME_SUCCESS;
    } else {
        const rw_json *re = rw_json_get(rec, "responseElements");
        const char *v = rw_json_get_str(re, "ConsoleLogin");
        if (!v) v = rw_json_get_str(re, name);
        if (v && strcasecmp(v, "Success") == 0)
            a->outcome = RW_OUTCOME_SUCCESS;
        else if ((v && strcasecmp(v, "Failure") == 0) || a->error_code || a->error_message)
            a->outcome = RW_OUTCOME_FAILURE;
        else
            a->outcome = RW_OUTCOME_UNKNOWN;
    }

    const rw_json *sc = rw_json_get(ui, "sessionContext");
    if (a->kind == RW_KIND_API_CALL) {
        if (boolish(rw_json_get(sc, "assumedRoot")) == RW_TRI_TRUE)
            a->credential = RW_CRED_ASSUMED_ROOT;
        else if (a->access_key_id && strncmp(a->access_key_id, "AKIA", 4) == 0)
            a->credential = RW_CRED_ACCESS_KEY;
        else if (sc || (a->access_key_id && strncmp(a->access_key_id, "ASIA", 4) == 0))
            a->credential = RW_CRED_CONSOLE_SESSION;
        else
            a->credential = RW_CRED_UNKNOWN;
        a->mfa = boolish(rw_json_path(sc, "attributes.mfaAuthenticated"));
        if (a->mfa == RW_TRI_UNKNOWN && a->credential == RW_CRED_ACCESS_KEY) a->mfa = RW_TRI_FALSE;
        a->sensitive = rw_root_sensitive(a->event_source, a->event_name) != NULL;
    } else {
        a->credential = RW_CRED_NONE;
        const char *used = rw_json_get_str(rw_json_get(rec, "additionalEventData"), "MFAUsed");
        a->mfa = !used                          ? RW_TRI_UNKNOWN
                 : strcasecmp(used, "Yes") == 0 ? RW_TRI_TRUE
                 : strcasecmp(used, "No") == 0  ? RW_TRI_FALSE
                                                : RW_TRI_UNKNOWN;
    }
    a->read_only = boolish(rw_json_get(rec, "readOnly"));
    reasons(a);
    const rw_json *by = rw_json_get(ui, "invokedBy");
    if (by && by->type == RW_JSON_STRING && by->len) {
        a->invoked_by = rw_json_str_dup_visible(by, NULL); /* a NUL inside: U+FFFD */
        if (root && rw_root_invoked_by_console(by->str, by->len))
            rw_alert_reason(a, RW_SEV_LOW,
                            "made through the AWS console (userIdentity.invokedBy %s): CIS's "
                            "filter, which drops every root event with invokedBy, misses it",
                            a->invoked_by);
    }
    return a;
}
