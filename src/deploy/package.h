/* The Lambda deployment package (docs/lambda.md, "The package"): a zip holding `bootstrap`, the
 * program in bin/, and in lib/ every shared library it needs, the dynamic loader and the C library
 * included. bootstrap starts the program through that loader with lib/ as the only library path
 * (and the loader's cache ignored), so the program runs on the C library it was built against
 * whatever the system has: Debian 12's libraries need glibc 2.36 (libexpat needs
 * arc4random_buf@GLIBC_2.36), Lambda's provided.al2023 has 2.34. Before writing, every symbol
 * version each bundled file needs is checked against the bundled file that must define it.
 * A statically linked program is bundled alone and started directly. */
#ifndef RW_DEPLOY_PACKAGE_H
#define RW_DEPLOY_PACKAGE_H

#include <stddef.h>
#include <stdint.h>

typedef struct rw_package_file {
    char *name;   /* in the zip: "bootstrap", "bin/rootwatch", "lib/libc.so.6" */
    char *source; /* the file it is a copy of (links resolved); NULL for bootstrap */
    char *why;    /* "the program", "the dynamic loader", "needed by lib/libcurl.so.4", ... */
    uint64_t size;
    unsigned mode;
} rw_package_file;

typedef struct rw_package_opts {
    const char *output; /* the zip to write */
    const char *binary; /* the program to package */
    int machine;        /* what it must be built for (RW_ELF_X86_64, RW_ELF_AARCH64); 0: any */
    const char *config; /* a notification configuration to bundle as rootwatch.yaml, or NULL */
} rw_package_opts;

typedef struct rw_package {
    int machine;
    rw_package_file *files; /* in the zip's order */
    size_t n;
    uint64_t zip_size;
    char *loader; /* the bundled loader's name in the zip, NULL for a static program */
    char *glibc;  /* the bundled C library's version ("2.36"), or NULL */
} rw_package;

/* Writes the package (opts->output) and says what is in it. RW_EINVAL when the program is not for
 * opts->machine, RW_ENOTFOUND when a library cannot be found (the message says where it was
 * looked for and how to get it), RW_EINVAL when a bundled file needs a symbol version nothing in
 * the zip defines. No file is left at output on failure. */
int rw_package_build(rw_package **out, const rw_package_opts *opts);
void rw_package_free(rw_package *p);

/* The machine this program itself runs on (RW_ELF_X86_64, ...). */
int rw_package_native_machine(void);
/* The program to package for machine: rootwatch-lambda (the lambda command without libcurl, issue
 * 12) built for machine beside this program (rootwatch-lambda, rootwatch-lambda-arm64, or
 * ../build-arm64/rootwatch-lambda, the folder docs/lambda.md builds into), else this very program
 * when it is built for machine, else rootwatch-arm64 or ../build-arm64/rootwatch; RW_ENOTFOUND with
 * a message that says how to build one (Debian's cross toolchain) when there is none. *out is
 * freed with free(). */
int rw_package_find_binary(char **out, int machine);
/* "x86_64" or "arm64" (also "amd64", "aarch64") to a machine; 0 if unknown. */
int rw_package_machine_parse(const char *arch);

#endif
