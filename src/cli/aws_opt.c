#include "cli/aws_opt.h"

#include <string.h>

#include "util/err.h"
#include "util/log.h"

int rw_aws_session_open(rw_aws_session *s, const rw_aws_opts *opts) {
    memset(s, 0, sizeof *s);
    int rc = rw_aws_config_load(&s->cfg, opts);
    if (rc != RW_OK) {
        rw_log_error("%s", rw_error_last());
        return rc;
    }
    s->creds = rw_aws_provider_chain(s->cfg);
    return RW_OK;
}

void rw_aws_session_close(rw_aws_session *s) {
    rw_aws_provider_free(s->creds);
    rw_aws_config_free(s->cfg);
    memset(s, 0, sizeof *s);
}
