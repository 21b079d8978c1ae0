/* The CloudFormation stack that runs rootwatch on AWS (issue 12), built as a tree (util/json.h) and
 * written out as YAML or JSON (deploy/emit.h). docs/lambda.md ("The stack") says what it holds.
 *
 * Intrinsic functions are written in their long forms only ({"Ref": ...}, {"Fn::GetAtt": [...]},
 * {"Fn::Sub": ...}), never as YAML tags (!Ref), so that the same tree is valid in both formats. */
#ifndef RW_DEPLOY_TEMPLATE_H
#define RW_DEPLOY_TEMPLATE_H

#include "util/json.h"

typedef enum rw_deploy_variant {
    RW_DEPLOY_HUB,       /* the rule, the function, the topic: in one region of the account */
    RW_DEPLOY_FORWARDER, /* the rule alone, sending to the hub region's default event bus */
} rw_deploy_variant;

/* How many email addresses SNSSubscriptions may hold: CloudFormation cannot loop over a list
 * without a macro, so the template has that many conditional subscriptions. */
#define RW_DEPLOY_MAX_SUBSCRIPTIONS 10
/* The FunctionName parameter's default: the function's name unless the stack says otherwise. */
#define RW_DEPLOY_DEFAULT_FUNCTION "rootwatch-root-activity"

/* "hub" or "forwarder" -> *out; RW_EINVAL for anything else. */
int rw_deploy_variant_parse(rw_deploy_variant *out, const char *name);
const char *rw_deploy_variant_name(rw_deploy_variant v);

/* The EventBridge pattern of the stack's rule, a new node of doc: every root event rootwatch's
 * built-in rules alert on (src/rules/builtin.yaml: userIdentity.type Root, invokedBy absent or the
 * console, eventType not AwsServiceEvent), for the CloudTrail detail-types that can carry one.
 * NULL when doc's memory limit is reached. */
rw_json *rw_deploy_root_pattern(rw_json_doc *doc);

/* Builds the whole template of variant v as doc's root. RW_ELIMIT (message set) when doc's memory
 * limit is reached. */
int rw_deploy_template_build(rw_json_doc *doc, rw_deploy_variant v);

#endif
