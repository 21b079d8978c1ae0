/* The account_aliases option (aliases.h). */
#include "notify/aliases.h"

#include <string.h>

#include "util/err.h"

int rw_aliases_check(const rw_channel *ch) {
    const char *const *it = rw_opt_list(ch->opts, "account_aliases");
    for (size_t i = 0; it[i]; i++) {
        const char *eq = strchr(it[i], '=');
        bool ok = eq && eq - it[i] == 12 && eq[1];
        for (size_t k = 0; ok && k < 12; k++) ok = it[i][k] >= '0' && it[i][k] <= '9';
        if (!ok)
            return rw_error_set(RW_EINVAL,
                                "channel %s: option account_aliases: '%s' is not "
                                "ACCOUNT=alias (a 12-digit account ID, then = and a name)",
                                ch->name, it[i]);
    }
    return RW_OK;
}

const char *rw_aliases_lookup(const rw_channel *ch, const rw_notice *n) {
    const char *acct = rw_notice_field(n, "account");
    const char *const *it = rw_opt_list(ch->opts, "account_aliases");
    for (size_t i = 0; *acct && it[i]; i++)
        if (!strncmp(it[i], acct, 12) && strlen(acct) == 12 && it[i][12] == '=') return it[i] + 13;
    return NULL;
}
