/* The main() of rootwatch and rootwatch-lambda (program.h). */
#include "cli/program.h"

#include <string.h>

#include "cli/commands.h"

int rw_cli_main(const struct rw_cli_program *prog, int argc, char **argv) {
    /* started as bootstrap: the Lambda function of a custom runtime (rootwatch package) */
    const char *base = argv[0] ? strrchr(argv[0], '/') : NULL;
    base = base ? base + 1 : argv[0];
    if (base && strcmp(base, "bootstrap") == 0) return rw_cmd_lambda(argc, argv);
    if (argc < 2) {
        prog->usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        prog->usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("rootwatch %s (simd: %s%s)\n", RW_VERSION, prog->simd(), prog->version_note);
        return 0;
    }
    for (size_t i = 0; i < prog->ncommands; i++)
        if (strcmp(argv[1], prog->commands[i].name) == 0)
            return prog->commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "rootwatch: unknown command '%s'%s\n", argv[1], prog->unknown_note);
    prog->usage(stderr);
    return 2;
}
