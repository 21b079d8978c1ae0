/* The account-wide checks: config-rule-root-mfa, org-central-root-access (docs/audit.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit_impl.h"
#include "aws/xml.h"
#include "util/err.h"
#include "util/xmalloc.h"

/* clang-format off */
static const rw_aws_service organizations = {"organizations", "Organizations", "organizations", RW_AWS_JSON, NULL, "AWSOrganizationsV20161128", "1.1", 1};
/* clang-format on */

#define ROOT_MFA_RULE "ROOT_ACCOUNT_MFA_ENABLED"

typedef struct rules {
    char *name, *arn, *state;
} rules;

static int on_config_rules(void *ctx, int number, const rw_json *reply, const char *raw,
                           size_t len) {
    (void)number, (void)raw, (void)len;
    rules *r = ctx;
    const rw_json *list = rw_json_get(reply, "ConfigRules");
    for (const rw_json *x = list && list->type == RW_JSON_ARRAY ? list->child : NULL; x;
         x = x->next) {
        const char *id = rw_json_get_str(rw_json_get(x, "Source"), "SourceIdentifier");
        const char *name = rw_json_get_str(x, "ConfigRuleName");
        if (r->name || !id || !name || strcmp(id, ROOT_MFA_RULE)) continue;
        const char *arn = rw_json_get_str(x, "ConfigRuleArn");
        const char *state = rw_json_get_str(x, "ConfigRuleState");
        r->name = rw_xstrdup(name);
        r->arn = rw_xstrdup(arn ? arn : name);
        r->state = rw_xstrdup(state ? state : "ACTIVE");
    }
    return 0;
}

static void check_config_rule(rw_audit_ctx *a, const rw_audit_check *chk) {
    rw_audit_finding *f = rw_audit_add(a, chk, a->home);
    rules r = {0};
    rw_json_doc *doc = rw_json_doc_new(NULL);
    rw_buf ev, req;
    rw_buf_init(&ev, 0);
    rw_buf_init(&req, 0);
    if (rw_aws_json_pages(a->c, &rw_aws_configservice, a->home, "DescribeConfigRules", "{}",
                          "NextToken", "NextToken", on_config_rules, &r) != RW_OK) {
        rw_audit_call_error(a->c, f, "config:DescribeConfigRules", "Config DescribeConfigRules");
        goto out;
    }
    /* the recorder */
    if (rw_aws_json(a->c, &rw_aws_configservice, a->home, "DescribeConfigurationRecorderStatus",
                    "{}", doc) != RW_OK) {
        rw_audit_call_error(a->c, f, "config:DescribeConfigurationRecorderStatus",
                            "Config DescribeConfigurationRecorderStatus");
        goto out;
    }
    const rw_json *st = rw_json_get(rw_json_doc_root(doc), "ConfigurationRecordersStatus");
    const char *recording = NULL, *stopped = NULL;
    for (const rw_json *x = st && st->type == RW_JSON_ARRAY ? st->child : NULL; x; x = x->next) {
        const rw_json *rec = rw_json_get(x, "recording");
        const char *name = rw_json_get_str(x, "name");
        if (rec && rec->type == RW_JSON_TRUE && !recording) recording = name ? name : "?";
        if (!(rec && rec->type == RW_JSON_TRUE) && !stopped) stopped = name ? name : "?";
    }
    char *rec_text = NULL;
    {
        rw_buf b;
        rw_buf_init(&b, 0);
        if (recording)
            rw_buf_printf(&b, "configuration recorder %s is recording", recording);
        else if (stopped)
            rw_buf_printf(&b, "configuration recorder %s is not recording", stopped);
        else
            rw_buf_puts(&b, "no configuration recorder");
        rec_text = rw_buf_take(&b);
    }
    if (!r.name) {
        rw_audit_set(
            f, RW_AUDIT_FAIL,
            "Config DescribeConfigRules (%s): no rule with source identifier " ROOT_MFA_RULE "; %s",
            a->home, rec_text);
        rw_audit_set_missing(f, recording ? "config-rule" : "config-recorder",
                             "the Config rule root-account-mfa-enabled%s",
                             recording ? "" : " and a running configuration recorder");
        rw_audit_set_fix(f,
                         "%saws configservice put-config-rule --region %s --config-rule "
                         "'{\"ConfigRuleName\":\"root-account-mfa-enabled\",\"Source\":{\"Owner\":"
                         "\"AWS\",\"SourceIdentifier\":\"" ROOT_MFA_RULE "\"},"
                         "\"MaximumExecutionFrequency\":\"TwentyFour_Hours\"}'",
                         recording ? ""
                                   : "aws configservice put-configuration-recorder and "
                                     "put-delivery-channel, then start-configuration-recorder; ",
                         a->home);
        free(rec_text);
        goto out;
    }
    rw_audit_set_resource(f, r.arn);
    rw_buf_puts(&req, "{\"ConfigRuleNames\":[");
    rw_json_write_str(&req, r.name, strlen(r.name));
    rw_buf_puts(&req, "]}");
    if (rw_aws_json(a->c, &rw_aws_configservice, a->home, "DescribeComplianceByConfigRule",
                    req.data, doc) != RW_OK) {
        rw_audit_call_error(a->c, f, "config:DescribeComplianceByConfigRule",
                            "Config DescribeComplianceByConfigRule");
        free(rec_text);
        goto out;
    }
    const rw_json *list = rw_json_get(rw_json_doc_root(doc), "ComplianceByConfigRules");
    const char *compliance = NULL;
    for (const rw_json *x = list && list->type == RW_JSON_ARRAY ? list->child : NULL; x;
         x = x->next)
        if (!compliance)
            compliance = rw_json_get_str(rw_json_get(x, "Compliance"), "ComplianceType");
    if (!compliance) compliance = "(none reported)";
    rw_buf_printf(&ev, "Config rule %s (%s, state %s): compliance %s; %s", r.name, r.arn, r.state,
                  compliance, rec_text);
    free(rec_text);
    if (!recording) {
        rw_audit_set(f, RW_AUDIT_FAIL, "%s: the rule is evaluated on what a recorder records",
                     ev.data);
        rw_audit_set_missing(f, "config-recorder", "a running configuration recorder in %s",
                             a->home);
        rw_audit_set_fix(f,
                         "aws configservice start-configuration-recorder --region %s "
                         "--configuration-recorder-name NAME (after put-configuration-recorder "
                         "and put-delivery-channel if there is none)",
                         a->home);
    } else if (!strcmp(compliance, "COMPLIANT")) {
        rw_audit_set(f, RW_AUDIT_PASS, "%s", ev.data);
    } else if (!strcmp(compliance, "NON_COMPLIANT")) {
        rw_audit_set(f, RW_AUDIT_FAIL, "%s: the root user has no MFA", ev.data);
        rw_audit_set_missing(f, "person:root-mfa",
                             "MFA for the root user (a person's to do; see root-mfa)");
        rw_audit_set_fix(f, "sign in as the root user and assign an MFA device");
    } else {
        rw_audit_set(f, RW_AUDIT_WARN, "%s: not evaluated yet", ev.data);
        rw_audit_set_fix(f,
                         "aws configservice start-config-rules-evaluation --region %s "
                         "--config-rule-names %s",
                         a->home, r.name);
    }
out:
    free(r.name);
    free(r.arn);
    free(r.state);
    rw_buf_free(&ev);
    rw_buf_free(&req);
    rw_json_doc_free(doc);
}

static void check_central_root(rw_audit_ctx *a, const rw_audit_check *chk) {
    rw_audit_finding *f = rw_audit_add(a, chk, NULL);
    rw_json_doc *doc = rw_json_doc_new(NULL);
    rw_xml *x = NULL;
    if (rw_aws_json(a->c, &organizations, NULL, "DescribeOrganization", "{}", doc) != RW_OK) {
        if (strstr(rw_aws_client_error(a->c)->code, "AWSOrganizationsNotInUse"))
            rw_audit_set(f, RW_AUDIT_NOT_APPLICABLE,
                         "Organizations DescribeOrganization: account %s is in no organization "
                         "(AWSOrganizationsNotInUseException)",
                         a->account);
        else
            rw_audit_call_error(a->c, f, "organizations:DescribeOrganization",
                                "Organizations DescribeOrganization");
        goto out;
    }
    const rw_json *org = rw_json_get(rw_json_doc_root(doc), "Organization");
    const char *org_arn = rw_json_get_str(org, "Arn");
    const char *mgmt = rw_json_get_str(org, "MasterAccountId");
    if (!mgmt) mgmt = rw_json_get_str(org, "ManagementAccountId");
    if (!mgmt || strcmp(mgmt, a->account)) {
        rw_audit_set(f, RW_AUDIT_NOT_APPLICABLE,
                     "account %s is a member of organization %s, whose management account %s "
                     "decides on central root access (audit that account)",
                     a->account, org_arn ? org_arn : "?", mgmt ? mgmt : "?");
        goto out;
    }
    rw_audit_set_resource(f, org_arn);
    if (rw_aws_query(a->c, &rw_aws_iam, NULL, "ListOrganizationsFeatures", NULL, &x) != RW_OK) {
        const char *code = rw_aws_client_error(a->c)->code;
        if (strstr(code, "ServiceAccessNotEnabled") || strstr(code, "OrganizationNotFound")) {
            rw_audit_set(f, RW_AUDIT_FAIL,
                         "IAM ListOrganizationsFeatures: %s (trusted access for IAM is not "
                         "enabled in organization %s)",
                         code, org_arn ? org_arn : "?");
            rw_audit_set_missing(f, "org-root-access",
                                 "RootCredentialsManagement and RootSessions");
            rw_audit_set_fix(f, "aws organizations enable-aws-service-access "
                                "--service-principal iam.amazonaws.com; aws iam "
                                "enable-organizations-root-credentials-management; aws iam "
                                "enable-organizations-root-sessions");
        } else {
            rw_audit_call_error(a->c, f, "iam:ListOrganizationsFeatures",
                                "IAM ListOrganizationsFeatures");
        }
        goto out;
    }
    bool creds = false, sessions = false;
    for (const rw_xml *m = rw_xml_find(x, "ListOrganizationsFeaturesResult/EnabledFeatures/member");
         m; m = rw_xml_next(m, NULL)) {
        creds |= !strcmp(m->text, "RootCredentialsManagement");
        sessions |= !strcmp(m->text, "RootSessions");
    }
    if (creds && sessions) {
        rw_audit_set(f, RW_AUDIT_PASS,
                     "organization %s (management account %s): IAM ListOrganizationsFeatures "
                     "lists RootCredentialsManagement and RootSessions (member accounts need no "
                     "root credentials)",
                     org_arn ? org_arn : "?", mgmt);
    } else {
        rw_audit_set(f, RW_AUDIT_FAIL,
                     "organization %s (management account %s): IAM ListOrganizationsFeatures: "
                     "RootCredentialsManagement %s, RootSessions %s",
                     org_arn ? org_arn : "?", mgmt, creds ? "enabled" : "not enabled",
                     sessions ? "enabled" : "not enabled");
        rw_audit_set_missing(f, "org-root-access", "%s%s%s",
                             creds ? "" : "RootCredentialsManagement",
                             !creds && !sessions ? " and " : "", sessions ? "" : "RootSessions");
        rw_audit_set_fix(f, "%s%s%s",
                         creds ? "" : "aws iam enable-organizations-root-credentials-management",
                         !creds && !sessions ? "; " : "",
                         sessions ? "" : "aws iam enable-organizations-root-sessions");
    }
out:
    rw_xml_free(x);
    rw_json_doc_free(doc);
}

/* clang-format off */
static const char *const c_config[] = {"SecurityHub Config.1", NULL};
static const char *const c_none[] = {NULL};
/* clang-format on */

const rw_audit_check rw_audit_org_checks[] = {
    {"config-rule-root-mfa",
     "the Config rule " ROOT_MFA_RULE " is present and compliant, a recorder running", c_config,
     check_config_rule},
    {"org-central-root-access",
     "in an organization's management account: centralized root access (RootCredentialsManagement, "
     "RootSessions)",
     c_none, check_central_root},
    {NULL, NULL, NULL, NULL},
};
