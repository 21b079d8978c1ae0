/* Every channel type. */
#include <string.h>

#include "notify/channel.h"

const rw_channel_type *const rw_channel_types[] = {
    &rw_channel_stdout, &rw_channel_sns,       &rw_channel_smtp,
    &rw_channel_syslog, &rw_channel_webhook,   &rw_channel_slack,
    &rw_channel_teams,  &rw_channel_pagerduty, NULL,
};

const rw_channel_type *rw_channel_type_find(const char *type) {
    for (size_t i = 0; rw_channel_types[i]; i++)
        if (!strcmp(rw_channel_types[i]->type, type)) return rw_channel_types[i];
    return NULL;
}
