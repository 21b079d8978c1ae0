/* GETs URLs through util/http.h, one handle for all, for tests/integration/test_http_tls.py: built
 * twice, as rw_http_tool (util/http.c, libcurl) and rw_http_tool_lite (util/http_lite.c).
 *   http_tool URL...   for each: "STATUS BODY-LENGTH" and the body's first line on stdout
 * Exit status 0, or 2 with "CODE-NAME: message" on stderr at the first failure. */
#include <stdio.h>
#include <string.h>

#include "util/err.h"
#include "util/http.h"

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: http_tool URL...\n");
        return 2;
    }
    rw_http_opts o = {.connect_timeout_ms = 5000, .timeout_ms = 10000};
    rw_http *h = rw_http_new(&o);
    if (!h) {
        fprintf(stderr, "%s\n", rw_error_last());
        return 2;
    }
    rw_http_response resp;
    rw_http_response_init(&resp);
    int status = 0;
    for (int i = 1; i < argc && !status; i++) {
        rw_http_request req = {.method = "GET", .url = argv[i]};
        int rc = rw_http_do(h, &req, &resp);
        if (rc) {
            fprintf(stderr, "%s: %s\n", rw_error_name(rc), rw_error_last());
            status = 2;
            break;
        }
        const char *nl = memchr(resp.body.data, '\n', resp.body.len);
        int first = (int)(nl ? (size_t)(nl - resp.body.data) : resp.body.len);
        printf("%ld %zu %.*s\n", resp.status, resp.body.len, first, resp.body.data);
    }
    rw_http_response_free(&resp);
    rw_http_free(h);
    return status;
}
