/* The credential provider interface (provider.h): the cache, its renewal and its lock. It knows
 * nothing of where credentials come from, so the client can use it without depending on the
 * providers that call the client (STS, in provider_sts.c). */
#include "aws/provider.h"

#include <pthread.h>
#include <stdlib.h>

#include "util/err.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

#define REFRESH_BEFORE 300 /* seconds before expiry that temporary credentials are renewed */

struct rw_aws_provider {
    rw_aws_resolve_fn resolve; /* NULL for a static provider */
    void *ctx;
    pthread_mutex_t lock;
    rw_aws_creds *cached;
    int fixed; /* static: never refreshed */
};

rw_aws_provider *rw_aws_provider_static(const rw_aws_creds *creds) {
    rw_aws_provider *p = rw_xcalloc(1, sizeof *p);
    pthread_mutex_init(&p->lock, NULL);
    p->cached = rw_aws_creds_dup(creds);
    p->fixed = 1;
    return p;
}

rw_aws_provider *rw_aws_provider_new(rw_aws_resolve_fn resolve, void *ctx) {
    rw_aws_provider *p = rw_xcalloc(1, sizeof *p);
    pthread_mutex_init(&p->lock, NULL);
    p->resolve = resolve;
    p->ctx = ctx;
    return p;
}

void rw_aws_provider_free(rw_aws_provider *p) {
    if (!p) return;
    rw_aws_creds_free(p->cached);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

int rw_aws_provider_get(rw_aws_provider *p, int64_t now, rw_aws_creds **out) {
    *out = NULL;
    if (!p) return rw_error_set(RW_EINVAL, "no credential provider");
    pthread_mutex_lock(&p->lock);
    int rc = RW_OK;
    if (!p->fixed &&
        (!p->cached || (p->cached->expires && now >= p->cached->expires - REFRESH_BEFORE))) {
        rw_aws_creds *fresh = NULL;
        rc = p->resolve(p->ctx, &fresh);
        if (rc == RW_OK && fresh->expires && fresh->expires <= now) {
            /* as the SDKs: expired credentials are an error, not a puzzling call that fails */
            char when[32];
            rw_time_format(fresh->expires, when);
            rc = rw_error_set(RW_EIO, "the AWS credentials from %s expired at %s", fresh->source,
                              when);
            rw_aws_creds_free(fresh);
        }
        if (rc == RW_OK) {
            rw_aws_creds_free(p->cached);
            p->cached = fresh;
            rw_log_debug("AWS credentials from %s%s", fresh->source,
                         fresh->expires ? " (temporary)" : "");
        } else if (p->cached && now < p->cached->expires) {
            /* renewal failed but the old ones still work: use them, say so */
            rw_log_warn(
                "renewing AWS credentials failed (%s); using the current ones until they expire",
                rw_error_last());
            rc = RW_OK;
        }
    }
    if (rc == RW_OK) *out = rw_aws_creds_dup(p->cached);
    pthread_mutex_unlock(&p->lock);
    return rc;
}
