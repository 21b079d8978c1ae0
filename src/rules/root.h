/* The built-in root rule: CIS semantics for what is root activity, and the classification of each
 * root action (kind, outcome, MFA, credential, severity and the reasons for it). */
#ifndef RW_ROOT_H
#define RW_ROOT_H

#include "rules/alert.h"
#include "util/json.h"

/* Something odd about a record, worth telling the user (a field of the wrong type, ...). */
typedef void (*rw_problem_fn)(void *ctx, const char *msg);

/* Is the record root activity? userIdentity.type is "Root", userIdentity.invokedBy is absent or
 * names the AWS Management Console (rw_root_invoked_by_console), and eventType is not
 * "AwsServiceEvent"; fields are read at their place in the record only. CIS's filter wants
 * invokedBy absent: rootwatch goes beyond it for the console (docs/rules.md). */
bool rw_root_is_activity(const rw_json *rec, rw_problem_fn problem, void *ctx);

/* Does a userIdentity.invokedBy value (len bytes) name the AWS Management Console, the person
 * signed in, rather than an AWS service acting on the account's behalf? signin.amazonaws.com and
 * console.amazonaws.com, exactly (docs/rules.md says why, and why not "AWS Internal"). */
bool rw_root_invoked_by_console(const char *by, size_t len);

/* Was the record's Root identity invoked by an AWS service on the account's behalf
 * (userIdentity.invokedBy a non-empty string that is not the console)? Such events are not root
 * activity (CIS); rw_root_classify gives the service in invoked_by, for counting. */
bool rw_root_made_by_service(const rw_json *rec);

/* Classifies a record that is root activity into a new alert (without file, offset, rule or
 * event_json, which the caller sets), which the caller frees with rw_alert_free. Its strings are
 * copies: it keeps no pointer into rec or envelope. envelope, when not NULL, supplies account and
 * region. A call the console made (invokedBy signin.amazonaws.com, ...) gets a reason saying so. */
rw_alert *rw_root_classify(const rw_json *rec, const rw_json *envelope, rw_problem_fn problem,
                           void *ctx);

/* Is eventSource/eventName one of the sensitive actions (docs/severity.md)? Returns its
 * description (a static string) or NULL. */
const char *rw_root_sensitive(const char *event_source, const char *event_name);

#endif
