/* Pagination for the query protocol: the token of each reply (NextToken, Marker ...) goes back as
 * a parameter of the next request until a reply has none. */
#include <stdlib.h>
#include <string.h>

#include "aws/client.h"
#include "util/err.h"
#include "util/xmalloc.h"

int rw_aws_query_pages(rw_aws_client *c, const rw_aws_service *svc, const char *region,
                       const char *action, const char *const *params, const char *token_param,
                       const char *token_path, int (*page)(void *ctx, const rw_xml *reply),
                       void *ctx) {
    size_t np = 0;
    while (params && params[np] && params[np + 1]) np += 2;
    const char **p = rw_xcalloc(np + 3, sizeof *p);
    for (size_t i = 0; i < np; i++) p[i] = params[i];
    char *token = NULL;
    int rc;
    for (int n = 1;; n++) {
        p[np] = token ? token_param : NULL;
        p[np + 1] = token;
        rw_xml *x = NULL;
        rc = rw_aws_query(c, svc, region, action, p, &x);
        if (rc != RW_OK) break;
        rc = page(ctx, x);
        const char *next = rc ? NULL : rw_xml_text(x, token_path);
        if (next && *next && token && !strcmp(next, token))
            rc = rw_error_set(RW_EIO, "%s %s: the same %s came twice (page %d); stopping",
                              svc->name, action, token_param, n);
        char *copy = !rc && next && *next ? rw_xstrdup(next) : NULL;
        rw_xml_free(x);
        free(token);
        token = copy;
        if (rc || !token) break;
    }
    free(token);
    free(p);
    return rc;
}
