/* The words of a notice, shared by the channels that write for people (SNS, email, Slack, Teams,
 * PagerDuty, syslog). Every function returns a new string, which the caller frees with free(). */
#ifndef RW_NOTIFY_RENDER_H
#define RW_NOTIFY_RENDER_H

#include "notify/channel.h"

/* AWS's blog solution's subject, Root API call-"<eventName>" detected in Account-"<alias>",
 * made valid for SNS: printable ASCII only (others become '?'), no line breaks, at most 100
 * characters; when too long the event name is shortened (with "...") before the alias is. A test
 * notice starts with "[TEST] ". alias NULL: the alert's account. */
char *rw_render_sns_subject(const rw_notice *n, const char *alias);
/* A one-line title for people: "Root console sign-in without MFA in 123456789012 (high)". */
char *rw_render_title(const rw_notice *n, const char *alias);
/* A readable text: who (the root user of which account and alias), what (event, service, kind,
 * outcome, error), where (region), when (event time, UTC), from which IP and user agent, MFA or
 * not, the credential, severity and every reason, the rule, the eventID, and a link to the event in
 * the CloudTrail console. Lines end with \n. */
char *rw_render_text(const rw_notice *n, const char *alias);
/* The same as an HTML fragment (every value escaped). */
char *rw_render_html(const rw_notice *n, const char *alias);
/* https://<region>.console.aws.amazon.com/cloudtrailv2/home?region=<region>#/events/<eventID>
 * (console.amazonaws.cn for China, console.amazonaws-us-gov.com for GovCloud); NULL without an
 * eventID. */
char *rw_render_console_link(const rw_notice *n);

#endif
