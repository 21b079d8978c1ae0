/* rootwatch-lambda: the Lambda function's program (issue 12), the one `rootwatch package` bundles
 * as bin/rootwatch. It is rootwatch's lambda command alone, built from the same modules with
 * util/http_lite.c (sockets and libssl) in place of libcurl, so that a cold start loads a handful
 * of libraries rather than some forty (CMakeLists.txt, docs/lambda.md). */
#include <stdio.h>

#include "cli/commands.h"
#include "cli/program.h"
#include "trail/skip.h"

static const struct rw_cli_command commands[] = {
    {"lambda", rw_cmd_lambda, "run as an AWS Lambda function"},
};

static void usage(FILE *out) {
    fprintf(out, "usage: rootwatch lambda [options]   (or started as bootstrap)\n\n"
                 "This is rootwatch-lambda, the program of the Lambda function's package: it has\n"
                 "the lambda command only ('rootwatch lambda --help'). The other commands are in\n"
                 "rootwatch.\n");
}

int main(int argc, char **argv) {
    static const struct rw_cli_program rootwatch_lambda = {
        .commands = commands,
        .ncommands = sizeof commands / sizeof commands[0],
        .usage = usage,
        .simd = rw_skip_impl,
        .version_note = "; lambda build: no libcurl",
        .unknown_note =
            " (this is rootwatch-lambda, the Lambda function's program: it has the lambda command "
            "only)",
    };
    return rw_cli_main(&rootwatch_lambda, argc, argv);
}
