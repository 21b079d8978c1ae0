/* Signs requests read as JSON lines on stdin and prints, per line, the Authorization header (or
 * "ERROR: ..."). The botocore differential test (tests/integration/test_sigv4_botocore.py) feeds
 * it the same requests it signs with botocore. Input fields: method, path, query, headers
 * ([[name, value], ...]), body (a string), region, service, s3 (bool), time (epoch seconds), akid,
 * secret, token. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/sigv4.h"
#include "util/json.h"

static const char *str(const rw_json *o, const char *k) {
    const char *s = rw_json_get_str(o, k);
    return s ? s : "";
}

int main(void) {
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    rw_json_doc *doc = rw_json_doc_new(NULL);
    while ((n = getline(&line, &cap, stdin)) > 0) {
        if (rw_json_doc_parse(doc, line, (size_t)n) != 0) {
            printf("ERROR: bad input line\n");
            continue;
        }
        const rw_json *o = rw_json_doc_root(doc);
        const rw_json *hs = rw_json_get(o, "headers");
        rw_http_header h[64];
        size_t nh = 0;
        for (const rw_json *e = hs ? hs->child : NULL; e && nh < 64; e = e->next)
            if (e->child && e->child->next)
                h[nh++] = (rw_http_header){e->child->str, e->child->next->str};
        const rw_json *body = rw_json_get(o, "body");
        const rw_json *s3 = rw_json_get(o, "s3");
        const rw_json *t = rw_json_get(o, "time");
        const char *token = rw_json_get_str(o, "token");
        rw_aws_creds *creds = rw_aws_creds_new(str(o, "akid"), str(o, "secret"), token, 0, "test");
        rw_sigv4_request req = {.method = str(o, "method"),
                                .path = str(o, "path"),
                                .query = str(o, "query"),
                                .headers = h,
                                .nheaders = nh,
                                .body = body ? body->str : "",
                                .body_len = body ? body->len : 0,
                                .payload_hash = rw_json_get_str(o, "payload_hash")};
        rw_sigv4_result r;
        if (rw_sigv4_sign(&r, &req, creds, str(o, "region"), str(o, "service"),
                          t ? (int64_t)t->num : 0,
                          s3 && s3->type == RW_JSON_TRUE ? RW_SIGV4_S3 : 0) == 0)
            printf("%s\n", r.authorization.data);
        else
            printf("ERROR: signing failed\n");
        rw_sigv4_result_free(&r);
        rw_aws_creds_free(creds);
        fflush(stdout);
    }
    free(line);
    rw_json_doc_free(doc);
    return 0;
}
