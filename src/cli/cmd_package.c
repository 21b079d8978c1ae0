/* rootwatch package: the Lambda deployment zip (docs/lambda.md, "The package"). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "deploy/elf.h"
#include "deploy/package.h"
#include "util/err.h"
#include "util/log.h"

static void usage(FILE *out) {
    fputs("usage: rootwatch package [-o FILE] [--arch x86_64|arm64] [--binary FILE]\n"
          "                         [--config FILE]\n"
          "\n"
          "Writes the AWS Lambda deployment package of rootwatch, for the provided.al2023\n"
          "runtime (handler: bootstrap): a zip holding bootstrap (mode 0755), the program in\n"
          "bin/, and in lib/ every shared library it needs, the dynamic loader and the C\n"
          "library included. bootstrap runs 'rootwatch lambda' through the bundled loader with\n"
          "lib/ as the only library path, so rootwatch never runs on the system's C library\n"
          "(Amazon Linux 2023 has glibc 2.34; Debian 12's libraries need 2.36). Every symbol\n"
          "version a bundled file needs is checked against the bundled files before the zip\n"
          "is written. The same build gives the same bytes.\n"
          "\n"
          "options:\n"
          "  -o, --output FILE       the zip to write (default: rootwatch-lambda.zip)\n"
          "      --arch ARCH         the Lambda architecture: x86_64 or arm64 (default: this\n"
          "                          program's). For the other one a build of rootwatch for it\n"
          "                          is needed: rootwatch-ARCH beside this program,\n"
          "                          ../build-ARCH/rootwatch, or --binary (docs/lambda.md:\n"
          "                          Debian's cross toolchain)\n"
          "      --binary FILE       the rootwatch program to package (default: this one)\n"
          "      --config FILE       bundle FILE as rootwatch.yaml, the notification\n"
          "                          configuration rootwatch lambda reads when ROOTWATCH_CONFIG\n"
          "                          is unset (check it first: rootwatch notify check). Anyone\n"
          "                          who may download the function's code can read it: keep\n"
          "                          secrets out of it\n" RW_CLI_VERBOSITY_HELP
          "                          (-q: only the line that names the zip)\n"
          "  -h, --help              show this help\n"
          "\n"
          "Prints the zip's size, its architecture and each file bundled (from where, and\n"
          "why). Exit status: 0 written; 2 an error (nothing is written).\n",
          out);
}

static void human(uint64_t n, char out[32]) {
    if (n >= 1024 * 1024)
        snprintf(out, 32, "%.1f MB", (double)n / (1024.0 * 1024.0));
    else if (n >= 1024)
        snprintf(out, 32, "%.1f kB", (double)n / 1024.0);
    else
        snprintf(out, 32, "%llu B", (unsigned long long)n);
}

int rw_cmd_package(int argc, char **argv) {
    static const struct option opts[] = {{"output", required_argument, 0, 'o'},
                                         {"arch", required_argument, 0, 'a'},
                                         {"binary", required_argument, 0, 'b'},
                                         {"config", required_argument, 0, 'c'},
                                         RW_CLI_VERBOSITY_LONGOPTS,
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *output = "rootwatch-lambda.zip", *arch = NULL, *binary = NULL, *config = NULL;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:h" RW_CLI_VERBOSITY_SHORTOPTS, opts, NULL)) != -1) {
        if (rw_cli_verbosity(c)) continue;
        switch (c) {
        case 'o':
            output = optarg;
            break;
        case 'a':
            arch = optarg;
            break;
        case 'b':
            binary = optarg;
            break;
        case 'c':
            config = optarg;
            break;
        default:
            return rw_cli_help_or_bad_option(c, argv, "package", usage);
        }
    }
    if (optind < argc) {
        rw_error_set(RW_EINVAL, "package: unexpected argument '%s'", argv[optind]);
        return rw_cli_usage_error("package");
    }
    if (!*output) {
        rw_error_set(RW_EINVAL, "package: -o needs a file name");
        return rw_cli_usage_error("package");
    }
    int machine = 0;
    if (arch && !(machine = rw_package_machine_parse(arch))) {
        rw_error_set(RW_EINVAL, "package: unknown architecture '%s' (x86_64 or arm64)", arch);
        return rw_cli_usage_error("package");
    }
    char *found = NULL;
    if (!binary) {
        if (rw_package_find_binary(&found, machine ? machine : rw_package_native_machine())) {
            rw_log_error("%s", rw_error_last());
            return 2;
        }
        binary = found;
    }
    rw_package_opts po = {.output = output, .binary = binary, .machine = machine, .config = config};
    rw_package *p = NULL;
    int rc = rw_package_build(&p, &po);
    free(found);
    if (rc != RW_OK) {
        rw_log_error("%s", rw_error_last());
        return 2;
    }
    char size[32], mname[32];
    human(p->zip_size, size);
    printf("wrote %s: %s (%llu bytes), architecture %s, %zu files\n", output, size,
           (unsigned long long)p->zip_size, rw_elf_machine_name(p->machine, mname), p->n);
    if (!rw_cli_quiet()) {
        printf("bundled:\n");
        for (size_t i = 0; i < p->n; i++) {
            const rw_package_file *f = &p->files[i];
            human(f->size, size);
            if (!f->source)
                printf("  %-28s %9s  %04o  starts bin/rootwatch lambda%s%s\n", f->name, size,
                       f->mode, p->loader ? " through " : "", p->loader ? p->loader : "");
            else
                printf("  %-28s %9s  %04o  %s, from %s\n", f->name, size, f->mode, f->why,
                       f->source);
        }
        if (p->loader)
            printf("checked: every symbol version a bundled file needs is defined by the bundled "
                   "file it names;\nthe zip uses none of the system's libraries (C library: "
                   "glibc %s, bundled)\n",
                   p->glibc ? p->glibc : "?");
        else
            printf("checked: bin/rootwatch is statically linked and needs no library\n");
    }
    rw_package_free(p);
    return 0;
}
