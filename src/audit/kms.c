/* The KMS key that encrypts a topic or queue a root alert goes through: may the service that
 * delivers there (EventBridge for a rule's target, CloudWatch for an alarm's topic) use it?
 * (docs/audit.md, "Encrypted topics and queues"). SNS and SQS encrypt what a principal sends with
 * the key, as that principal: without kms:GenerateDataKey and kms:Decrypt granted to the service
 * by the key policy, every delivery is dropped, and nobody is told. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit_impl.h"
#include "aws/respolicy.h"
#include "util/err.h"
#include "util/xmalloc.h"

/* clang-format off */
static const rw_aws_service kms = {"kms", "KMS", "kms", RW_AWS_JSON, NULL, "TrentService", "1.1", 0};
/* clang-format on */

/* The actions asked of the key policy: SNS and SQS call GenerateDataKey (the policy's
 * "kms:GenerateDataKey*" covers it) and Decrypt for the sender. */
static const char *const key_actions[] = {"kms:GenerateDataKey", "kms:Decrypt", NULL};

static const char *service_name(const char *service) {
    return !strcmp(service, "events.amazonaws.com") ? "EventBridge" : "CloudWatch";
}

/* The statement a key policy needs for service. */
static void key_statement(rw_buf *b, const char *service) {
    rw_buf_printf(b,
                  "{\"Sid\":\"Allow%sToUseTheKey\",\"Effect\":\"Allow\",\"Principal\":{"
                  "\"Service\":\"%s\"},\"Action\":[\"kms:GenerateDataKey*\",\"kms:Decrypt\"],"
                  "\"Resource\":\"*\"}",
                  service_name(service), service);
}

/* "aws sns set-topic-attributes ... KmsMasterKeyId" for the resource */
static void set_key_command(rw_buf *b, const char *resource, const char *url) {
    char *svc = rw_audit_arn_field(resource, 2), *region = rw_audit_arn_field(resource, 3);
    if (!strcmp(svc, "sqs"))
        rw_buf_printf(b,
                      "aws sqs set-queue-attributes --region %s --queue-url %s --attributes "
                      "KmsMasterKeyId=KEY_ARN",
                      region, url ? url : "QUEUE_URL");
    else
        rw_buf_printf(b,
                      "aws sns set-topic-attributes --region %s --topic-arn %s --attribute-name "
                      "KmsMasterKeyId --attribute-value KEY_ARN",
                      region, resource);
    free(svc);
    free(region);
}

static void sep(rw_buf *b) {
    if (b->len) rw_buf_puts(b, "; ");
}

/* An AWS managed key (alias/aws/sns, alias/aws/sqs): its policy is AWS's and cannot be changed;
 * it lets the account's own principals use the key through the service, never another service. */
static void aws_managed(const char *key, const char *resource, const char *url, const char *service,
                        rw_buf *why, rw_buf *missing, rw_buf *fix) {
    rw_buf_printf(why,
                  "it is encrypted with the AWS managed key %s, whose key policy AWS writes and "
                  "no one can change: it lets only the account's own principals use the key, "
                  "never %s, so what %s sends there cannot be encrypted: every delivery is "
                  "dropped",
                  key, service, service_name(service));
    sep(missing);
    rw_buf_printf(missing,
                  "a customer managed KMS key for %s whose key policy lets %s use "
                  "kms:GenerateDataKey* and kms:Decrypt (the AWS managed key %s never can)",
                  resource, service, key);
    sep(fix);
    char *region = rw_audit_arn_field(resource, 3);
    rw_buf_printf(fix,
                  "aws kms create-key --region %s --description 'root alerts' --policy "
                  "file://key-policy.json, the key policy holding the account's own statement "
                  "and ",
                  region);
    key_statement(fix, service);
    rw_buf_puts(fix, "; then ");
    set_key_command(fix, resource, url);
    rw_buf_puts(fix, " (KEY_ARN: the new key's)");
    free(region);
}

static char *json_body(const char *a, const char *av, const char *b, const char *bv) {
    rw_buf r;
    rw_buf_init(&r, 0);
    rw_buf_printf(&r, "{\"%s\":", a);
    rw_json_write_str(&r, av, strlen(av));
    if (b) {
        rw_buf_printf(&r, ",\"%s\":", b);
        rw_json_write_str(&r, bv, strlen(bv));
    }
    rw_buf_putc(&r, '}');
    return rw_buf_take(&r);
}

int rw_audit_key_allows(rw_audit_ctx *a, rw_audit_finding *f, const char *resource, const char *url,
                        const char *key_id, const char *service, const char *source_arn, rw_buf *ok,
                        rw_buf *why, rw_buf *missing, rw_buf *fix) {
    /* an alias of AWS's own: no call needed (AWS reserves alias/aws/ for its managed keys) */
    const char *alias = !strncmp(key_id, "alias/", 6) ? key_id : strstr(key_id, ":alias/");
    if (alias && *alias == ':') alias++;
    if (alias && !strncmp(alias, "alias/aws/", 10)) {
        aws_managed(key_id, resource, url, service, why, missing, fix);
        return 0;
    }
    char *res_region = rw_audit_arn_field(resource, 3), *res_svc = rw_audit_arn_field(resource, 2);
    char *region = !strncmp(key_id, "arn:", 4) ? rw_audit_arn_field(key_id, 3) : NULL;
    if (!region || !*region) free(region), region = rw_xstrdup(res_region);
    rw_json_doc *doc = rw_json_doc_new(NULL);
    char *body = json_body("KeyId", key_id, NULL, NULL);
    char *key_arn = NULL, *key_acct = NULL;
    int out = -1;
    if (rw_aws_json(a->c, &kms, region, "DescribeKey", body, doc) != RW_OK) {
        if (strstr(rw_aws_client_error(a->c)->code, "NotFound")) {
            rw_buf_printf(why,
                          "it is encrypted with KMS key %s, which does not exist (KMS "
                          "DescribeKey: %s), so nothing sent there can be encrypted and every "
                          "delivery is dropped",
                          key_id, rw_aws_client_error(a->c)->code);
            sep(missing);
            rw_buf_printf(missing,
                          "an existing KMS key for %s whose key policy lets %s use "
                          "kms:GenerateDataKey* and kms:Decrypt",
                          resource, service);
            sep(fix);
            set_key_command(fix, resource, url);
            rw_buf_puts(fix, " (a customer managed key whose policy holds ");
            key_statement(fix, service);
            rw_buf_puts(fix, ")");
            out = 0;
        } else {
            rw_audit_call_error(a->c, f, "kms:DescribeKey", "KMS DescribeKey");
        }
        goto done;
    }
    const rw_json *md = rw_json_get(rw_json_doc_root(doc), "KeyMetadata");
    const char *arn = rw_json_get_str(md, "Arn"), *manager = rw_json_get_str(md, "KeyManager");
    const char *state = rw_json_get_str(md, "KeyState");
    key_arn = rw_xstrdup(arn ? arn : key_id);
    key_acct = rw_audit_arn_field(key_arn, 4);
    if (manager && !strcmp(manager, "AWS")) {
        aws_managed(key_arn, resource, url, service, why, missing, fix);
        out = 0;
        goto done;
    }
    if (state && strcmp(state, "Enabled")) {
        rw_buf_printf(why,
                      "it is encrypted with KMS key %s, whose KeyState is %s: nothing can be "
                      "encrypted with it, so every delivery is dropped",
                      key_arn, state);
        sep(missing);
        rw_buf_printf(missing, "KMS key %s enabled", key_arn);
        sep(fix);
        if (!strcmp(state, "PendingDeletion"))
            rw_buf_printf(fix, "aws kms cancel-key-deletion --region %s --key-id %s; ", region,
                          key_arn);
        rw_buf_printf(fix, "aws kms enable-key --region %s --key-id %s", region, key_arn);
        out = 0;
        goto done;
    }
    if (*key_acct && strcmp(key_acct, a->account) && strcmp(a->account, "unknown")) {
        /* GetKeyPolicy works only in the key's own account */
        rw_buf_printf(why,
                      "it is encrypted with KMS key %s of account %s, whose key policy cannot be "
                      "read from account %s (KMS GetKeyPolicy works only in the key's account), "
                      "so that %s may use it is not known here",
                      key_arn, key_acct, a->account, service);
        sep(missing);
        rw_buf_printf(missing,
                      "a key policy of %s (account %s) letting %s use kms:GenerateDataKey* and "
                      "kms:Decrypt, checked there",
                      key_arn, key_acct, service);
        sep(fix);
        rw_buf_printf(fix,
                      "in account %s: aws kms get-key-policy --region %s --key-id %s "
                      "--policy-name default, and add the statement ",
                      key_acct, region, key_arn);
        key_statement(fix, service);
        rw_buf_puts(fix, " if it is not there");
        out = 0;
        goto done;
    }
    free(body);
    body = json_body("KeyId", key_arn, "PolicyName", "default");
    if (rw_aws_json(a->c, &kms, region, "GetKeyPolicy", body, doc) != RW_OK) {
        rw_audit_call_error(a->c, f, "kms:GetKeyPolicy", "KMS GetKeyPolicy");
        goto done;
    }
    const char *policy = rw_json_get_str(rw_json_doc_root(doc), "Policy");
    char via[96];
    snprintf(via, sizeof via, "%s.%s.amazonaws.com", res_svc, res_region);
    const char *ctx[] = {"kms:ViaService", via,
                         !strcmp(res_svc, "sqs") ? "kms:EncryptionContext:aws:sqs:arn"
                                                 : "kms:EncryptionContext:aws:sns:topicArn",
                         resource, NULL};
    char *src_acct = rw_audit_arn_field(source_arn, 4);
    rw_buf granted, refused, w;
    rw_buf_init(&granted, 0);
    rw_buf_init(&refused, 0);
    rw_buf_init(&w, 0);
    bool denied = false;
    for (size_t i = 0; key_actions[i]; i++) {
        rw_respolicy_request req = {service, key_actions[i], key_arn, source_arn, src_acct};
        rw_buf_reset(&w);
        rw_respolicy_verdict v =
            rw_respolicy_eval_ctx(policy ? policy : "", policy ? strlen(policy) : 0, &req, ctx, &w);
        rw_buf *to = v == RW_RESPOLICY_ALLOWED ? &granted : &refused;
        rw_buf_printf(to, "%s%s", to->len ? "; " : "", w.data);
        denied |= v == RW_RESPOLICY_DENIED;
    }
    if (!refused.len) {
        rw_buf_printf(ok, "its KMS key %s lets %s use it (%s)", key_arn, service, granted.data);
        out = 1;
    } else {
        rw_buf_printf(why,
                      "it is encrypted with KMS key %s (KmsMasterKeyId %s), whose key policy does "
                      "not let %s use kms:GenerateDataKey* and kms:Decrypt: %s; so what %s "
                      "sends there cannot be encrypted: every delivery is dropped",
                      key_arn, key_id, service, refused.data, service_name(service));
        sep(missing);
        rw_buf_printf(missing,
                      "a statement of the key policy of %s allowing %s kms:GenerateDataKey* and "
                      "kms:Decrypt%s",
                      key_arn, service, denied ? ", and no Deny statement refusing it" : "");
        sep(fix);
        rw_buf_printf(fix, "add to the key policy of %s the statement ", key_arn);
        key_statement(fix, service);
        rw_buf_printf(fix,
                      " (aws kms get-key-policy --region %s --key-id %s --policy-name default "
                      "shows it; aws kms put-key-policy --region %s --key-id %s --policy-name "
                      "default --policy file://key-policy.json replaces it whole, so keep its "
                      "other statements)",
                      region, key_arn, region, key_arn);
        out = 0;
    }
    free(src_acct);
    rw_buf_free(&granted);
    rw_buf_free(&refused);
    rw_buf_free(&w);
done:
    free(body);
    free(key_arn);
    free(key_acct);
    free(region);
    free(res_region);
    free(res_svc);
    rw_json_doc_free(doc);
    return out;
}
