/* --rules FILE and --no-builtin, shared by the commands that apply rules. */
#ifndef RW_RULES_OPT_H
#define RW_RULES_OPT_H

#include <stdbool.h>
#include <stdint.h>

#include "rules/ruleset.h"

/* Loads the built-in rules (if builtin) and the files (a NULL-terminated list, may be NULL; read
 * during the call only), and freezes them: a new ruleset, which the caller frees with
 * rw_ruleset_free. Reports every problem on stderr and returns NULL if any rule file is wrong or no
 * rule is left. */
rw_ruleset *rw_cli_load_rules(bool builtin, char **files, int64_t now);

#endif
