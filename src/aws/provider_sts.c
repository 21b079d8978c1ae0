/* STS's AssumeRole and AssumeRoleWithWebIdentity through the AWS client (provider_sts.h). */
#include "aws/provider_sts.h"

#include <stdio.h>
#include <string.h>

#include "aws/client.h"
#include "aws/provider.h"
#include "util/err.h"
#include "util/secret.h"
#include "util/timeutil.h"

static const char *sts_region(const rw_aws_config *cfg) {
    return cfg->region ? cfg->region : "us-east-1";
}

int rw_aws_sts_assume(const rw_aws_config *cfg, rw_aws_creds *source, const char *action,
                      const char *const *params, const char *what, const char *source_desc,
                      rw_aws_creds **out) {
    rw_aws_provider *sp = source ? rw_aws_provider_static(source) : NULL;
    rw_aws_client *c = rw_aws_client_new(cfg, sp, NULL);
    rw_xml *x = NULL;
    int rc = rw_aws_query(c, &rw_aws_sts, sts_region(cfg), action, params, &x);
    if (rc == RW_OK) {
        char path[96];
        snprintf(path, sizeof path, "%sResult/Credentials", action);
        const rw_xml *cr = rw_xml_find(x, path);
        const char *ak = cr ? rw_xml_text(cr, "AccessKeyId") : NULL;
        const char *sk = cr ? rw_xml_text(cr, "SecretAccessKey") : NULL;
        const char *tok = cr ? rw_xml_text(cr, "SessionToken") : NULL;
        const char *exp = cr ? rw_xml_text(cr, "Expiration") : NULL;
        int64_t expires = 0;
        if (!ak || !sk || !*ak || !*sk)
            rc = rw_error_set(RW_EIO, "%s: STS %s's reply has no credentials", what, action);
        else if (exp && rw_time_parse(exp, &expires) != RW_OK)
            rc = rw_error_set(RW_EIO, "%s: STS %s's reply has a bad Expiration", what, action);
        else
            *out = rw_aws_creds_new(ak, sk, tok, expires, source_desc);
        /* wipe the secrets the tree held */
        if (cr)
            for (rw_xml *e = cr->child; e; e = e->next) rw_secret_wipe(e->text, e->text_len);
    } else {
        rc = rw_error_wrap(rc, "%s", what);
    }
    rw_xml_free(x);
    rw_aws_client_free(c);
    rw_aws_provider_free(sp);
    return rc;
}
