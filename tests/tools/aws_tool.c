/* Calls AWS through rootwatch's client, for the protocol tests (tests/integration/
 * test_aws_protocols.py). Credentials, region and endpoints as rootwatch finds them.
 *
 *   aws_tool query SERVICE ACTION [NAME=VALUE ...]        every element with text, as PATH=TEXT
 *   aws_tool query-pages SERVICE ACTION TOKEN_PARAM TOKEN_PATH ELEMENT [NAME=VALUE ...]
 *                                                        the text of every ELEMENT, then pages=N
 *   aws_tool json SERVICE OPERATION BODY                 the reply, as JSON on one line
 *   aws_tool json-pages SERVICE OPERATION BODY TOKEN_IN TOKEN_OUT   one line per page
 *   aws_tool rest SERVICE OPERATION METHOD PATH [QUERY]  the status, then the body
 * Exit status 0, or 2 with the error on stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/client.h"
#include "aws/config.h"
#include "aws/provider_chain.h"
#include "util/buf.h"
#include "util/err.h"

static const rw_aws_service *service(const char *id) {
    static const rw_aws_service *const all[] = {
        &rw_aws_sts,    &rw_aws_iam,           &rw_aws_s3,   &rw_aws_cloudtrail,
        &rw_aws_sns,    &rw_aws_sqs,           &rw_aws_logs, &rw_aws_cloudwatch,
        &rw_aws_events, &rw_aws_configservice, &rw_aws_ec2};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (!strcmp(all[i]->id, id)) return all[i];
    return NULL;
}

static void print_xml(const rw_xml *x, const char *prefix) {
    for (; x; x = x->next) {
        char path[1024];
        snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "/" : "", x->name);
        if (!x->child && x->text_len) printf("%s=%s\n", path, x->text);
        print_xml(x->child, path);
    }
}

static const char **params_of(int argc, char **argv) {
    const char **p = calloc((size_t)argc * 2 + 1, sizeof *p);
    int n = 0;
    for (int i = 0; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (!eq) continue;
        *eq = 0;
        p[n++] = argv[i];
        p[n++] = eq + 1;
    }
    return p;
}

typedef struct collect {
    const char *element;
    int pages;
} collect;

static void print_named(const rw_xml *x, const char *name) {
    for (; x; x = x->next) {
        if (!strcmp(x->name, name)) printf("%s\n", x->text);
        print_named(x->child, name);
    }
}

static int on_query_page(void *ctx, const rw_xml *reply) {
    collect *c = ctx;
    c->pages++;
    print_named(reply, c->element);
    return 0;
}

static int on_json_page(void *ctx, int number, const rw_json *reply, const char *raw, size_t len) {
    (void)number;
    if (!reply) {
        printf("%.*s\n", (int)len, raw);
        return 0;
    }
    int *pages = ctx;
    (*pages)++;
    rw_buf b;
    rw_buf_init(&b, RW_BUF_DEFAULT_MAX);
    rw_json_write(&b, reply);
    printf("%s\n", b.data);
    rw_buf_free(&b);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr,
                "usage: aws_tool query|query-pages|json|json-pages|rest SERVICE OPERATION ...\n");
        return 2;
    }
    const rw_aws_service *svc = service(argv[2]);
    if (!svc) {
        fprintf(stderr, "aws_tool: unknown service %s\n", argv[2]);
        return 2;
    }
    rw_aws_opts o = {0};
    rw_aws_config *cfg = NULL;
    if (rw_aws_config_load(&cfg, &o) != RW_OK) {
        fprintf(stderr, "aws_tool: %s\n", rw_error_last());
        return 2;
    }
    rw_aws_provider *prov = rw_aws_provider_chain(cfg);
    rw_aws_client *c = rw_aws_client_new(cfg, prov, NULL);
    int rc = RW_EINVAL;
    const char *mode = argv[1], *op = argv[3];
    if (!strcmp(mode, "query")) {
        const char **p = params_of(argc - 4, argv + 4);
        rw_xml *x = NULL;
        rc = rw_aws_query(c, svc, NULL, op, p, &x);
        if (rc == RW_OK) print_xml(x, "");
        rw_xml_free(x);
        free(p);
    } else if (!strcmp(mode, "query-pages") && argc >= 7) {
        const char **p = params_of(argc - 7, argv + 7);
        collect col = {argv[6], 0};
        rc = rw_aws_query_pages(c, svc, NULL, op, p, argv[4], argv[5], on_query_page, &col);
        if (rc == RW_OK) printf("pages=%d\n", col.pages);
        free(p);
    } else if (!strcmp(mode, "json") && argc >= 5) {
        rw_json_doc *d = rw_json_doc_new(NULL);
        rc = rw_aws_json(c, svc, NULL, op, argv[4], d);
        if (rc == RW_OK) {
            int pages = 0;
            on_json_page(&pages, 1, rw_json_doc_root(d), NULL, 0);
        }
        rw_json_doc_free(d);
    } else if (!strcmp(mode, "json-pages") && argc >= 7) {
        int pages = 0;
        rc = rw_aws_json_pages(c, svc, NULL, op, argv[4], argv[5], argv[6], on_json_page, &pages);
        if (rc == RW_OK) printf("pages=%d\n", pages);
    } else if (!strcmp(mode, "rest") && argc >= 6) {
        rw_http_response r;
        rw_http_response_init(&r);
        rc =
            rw_aws_rest(c, svc, NULL, op, argv[4], argv[5], argc > 6 ? argv[6] : NULL, NULL, 0, &r);
        if (rc == RW_OK) printf("%ld\n%s\n", r.status, r.body.data ? r.body.data : "");
        rw_http_response_free(&r);
    } else {
        rw_error_set(RW_EINVAL, "bad arguments for %s", mode);
    }
    if (rc != RW_OK) fprintf(stderr, "aws_tool: %s\n", rw_error_last());
    rw_aws_client_free(c);
    rw_aws_provider_free(prov);
    rw_aws_config_free(cfg);
    return rc == RW_OK ? 0 : 2;
}
