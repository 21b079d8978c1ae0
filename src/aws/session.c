#include "aws/session.h"

#include <stdlib.h>
#include <string.h>

#include "aws/provider_chain.h"
#include "util/err.h"
#include "util/log.h"
#include "util/xmalloc.h"

int rw_aws_session_init(rw_aws_session *s, const rw_aws_opts *opts) {
    memset(s, 0, sizeof *s);
    int rc = rw_aws_config_load(&s->cfg, opts);
    if (rc != RW_OK) return rc;
    s->creds = rw_aws_provider_chain(s->cfg);
    return RW_OK;
}

int rw_aws_session_open(rw_aws_session *s, const rw_aws_opts *opts) {
    int rc = rw_aws_session_init(s, opts);
    if (rc != RW_OK) rw_log_error("%s", rw_error_last());
    return rc;
}

rw_aws_session *rw_aws_lazy_get(rw_aws_lazy *l) {
    if (l->state == 0) {
        l->state = rw_aws_session_init(&l->s, l->opts) == RW_OK ? 1 : -1;
        if (l->state < 0) l->error = rw_xstrdup(rw_error_last());
    }
    if (l->state > 0) return &l->s;
    rw_error_set(RW_EINVAL, "%s", l->error);
    return NULL;
}

void rw_aws_lazy_close(rw_aws_lazy *l) {
    if (l->state > 0) rw_aws_session_close(&l->s);
    free(l->error);
    l->error = NULL;
    l->state = 0;
}

void rw_aws_session_close(rw_aws_session *s) {
    rw_aws_provider_free(s->creds);
    rw_aws_config_free(s->cfg);
    memset(s, 0, sizeof *s);
}
