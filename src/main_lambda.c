/* rootwatch-lambda: the Lambda function's program (issue 12), the one `rootwatch package` bundles
 * as bin/rootwatch. It is rootwatch's lambda command alone, built from the same modules with
 * util/http_lite.c (sockets and libssl) in place of libcurl, so that a cold start loads a handful
 * of libraries rather than some forty (CMakeLists.txt, docs/lambda.md). */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "trail/skip.h"

static void usage(FILE *out) {
    fprintf(out, "usage: rootwatch lambda [options]   (or started as bootstrap)\n\n"
                 "This is rootwatch-lambda, the program of the Lambda function's package: it has\n"
                 "the lambda command only ('rootwatch lambda --help'). The other commands are in\n"
                 "rootwatch.\n");
}

int main(int argc, char **argv) {
    /* started as bootstrap: the Lambda function of a custom runtime (rootwatch package) */
    const char *base = argv[0] ? strrchr(argv[0], '/') : NULL;
    base = base ? base + 1 : argv[0];
    if (base && strcmp(base, "bootstrap") == 0) return rw_cmd_lambda(argc, argv);
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("rootwatch %s (simd: %s; lambda build: no libcurl)\n", RW_VERSION, rw_skip_impl());
        return 0;
    }
    if (strcmp(argv[1], "lambda") == 0) return rw_cmd_lambda(argc - 1, argv + 1);
    fprintf(stderr,
            "rootwatch: unknown command '%s' (this is rootwatch-lambda, the Lambda function's "
            "program: it has the lambda command only)\n",
            argv[1]);
    usage(stderr);
    return 2;
}
