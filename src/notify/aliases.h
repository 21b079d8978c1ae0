/* The account_aliases option of the channels that write for people (Slack, Teams, PagerDuty): a
 * list of items "ACCOUNT=alias" (123456789012=prod-main), the alias shown beside the account ID. */
#ifndef RW_NOTIFY_ALIASES_H
#define RW_NOTIFY_ALIASES_H

#include "notify/channel.h"

/* Checks ch's account_aliases option: each item a 12-digit account ID, '=' and a name not empty.
 * RW_OK, or RW_EINVAL with a message naming the channel and the item. */
int rw_aliases_check(const rw_channel *ch);
/* The alias of the notice's account in ch's account_aliases (the first item for it), or NULL. It
 * points into ch's option value: borrowed, valid as long as ch's options are. */
const char *rw_aliases_lookup(const rw_channel *ch, const rw_notice *n);

#endif
