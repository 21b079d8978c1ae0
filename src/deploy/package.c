/* Builds the Lambda package: finds the program's libraries the way the dynamic loader would (from
 * the ELF files themselves, never by running them: ldd cannot run a binary of another
 * architecture, and running one to learn its libraries executes it), bundles them with the loader
 * and the C library, checks the symbol versions, writes bootstrap and the zip. */
#include "deploy/package.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deploy/elf.h"
#include "deploy/zip.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/xmalloc.h"

/* Libraries the C library loads itself at run time (dlopen), bundled when found: libgcc_s
 * unwinds threads for pthread_cancel and pthread_exit. */
static const char *const runtime_extras[] = {"libgcc_s.so.1"};

static const char *triplet(int machine) {
    return machine == RW_ELF_AARCH64 ? "aarch64-linux-gnu" : "x86_64-linux-gnu";
}

/* Debian's cross compiler for machine: the package name has no underscore (gcc-x86-64-linux-gnu
 * installs x86_64-linux-gnu-gcc) */
static const char *cross_gcc(int machine) {
    return machine == RW_ELF_AARCH64 ? "gcc-aarch64-linux-gnu" : "gcc-x86-64-linux-gnu";
}

int rw_package_machine_parse(const char *arch) {
    if (strcmp(arch, "x86_64") == 0 || strcmp(arch, "amd64") == 0) return RW_ELF_X86_64;
    if (strcmp(arch, "arm64") == 0 || strcmp(arch, "aarch64") == 0) return RW_ELF_AARCH64;
    return 0;
}

int rw_package_native_machine(void) {
#if defined(__aarch64__)
    return RW_ELF_AARCH64;
#else
    return RW_ELF_X86_64;
#endif
}

static char *self_path(void) {
    char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0) return NULL;
    buf[n] = 0;
    return rw_xstrdup(buf);
}

static char *dir_of(const char *path) {
    const char *slash = strrchr(path, '/');
    if (!slash) return rw_xstrdup(".");
    if (slash == path) return rw_xstrdup("/");
    return rw_xstrndup(path, (size_t)(slash - path));
}

static bool is_machine(const char *path, int machine) {
    rw_elf *e = NULL;
    if (rw_elf_read(&e, path) != RW_OK) {
        rw_error_clear();
        return false;
    }
    bool ok = e->machine == machine;
    rw_elf_free(e);
    return ok;
}

int rw_package_find_binary(char **out, int machine) {
    *out = NULL;
    char *self = self_path();
    if (!self) return rw_error_set(RW_EIO, "cannot tell where this program is (/proc/self/exe)");
    char name[32];
    const char *arch = rw_elf_machine_name(machine, name);
    char *dir = dir_of(self);
    /* rootwatch-lambda first (issue 12): the lambda command alone, without libcurl and the thirty
     * libraries it brings, so that the function starts faster; rootwatch itself only where no
     * such build is beside it */
    enum { NCAND = 6 };
    rw_buf cand[NCAND];
    for (int i = 0; i < NCAND; i++) rw_buf_init(&cand[i], 0);
    rw_buf_printf(&cand[0], "%s/rootwatch-lambda", dir);
    rw_buf_printf(&cand[1], "%s/rootwatch-lambda-%s", dir, arch);
    rw_buf_printf(&cand[2], "%s/../build-%s/rootwatch-lambda", dir, arch);
    rw_buf_puts(&cand[3], self);
    rw_buf_printf(&cand[4], "%s/rootwatch-%s", dir, arch);
    rw_buf_printf(&cand[5], "%s/../build-%s/rootwatch", dir, arch);
    int rc = RW_OK;
    for (int i = 0; i < NCAND && !*out; i++)
        if (is_machine(cand[i].data, machine)) {
            char real[PATH_MAX];
            *out = rw_xstrdup(realpath(cand[i].data, real) ? real : cand[i].data);
        }
    if (!*out)
        rc = rw_error_set(
            RW_ENOTFOUND,
            "no %s build of rootwatch (looked for %s, %s, %s and %s). Build one with Debian's "
            "cross toolchain: dpkg --add-architecture %s; apt-get update; apt-get install "
            "%s libc6-dev:%s libcurl4-openssl-dev:%s libdeflate-dev:%s zlib1g-dev:%s "
            "libyaml-dev:%s libexpat1-dev:%s libssl-dev:%s libsqlite3-dev:%s "
            "libmicrohttpd-dev:%s; cmake -S . -B build-%s "
            "-DCMAKE_TOOLCHAIN_FILE=cmake/%s.cmake -DRW_TESTS=OFF; cmake --build build-%s; then "
            "rootwatch package --arch %s --binary build-%s/rootwatch-lambda (docs/lambda.md, "
            "\"The other architecture\")",
            arch, cand[1].data, cand[2].data, cand[4].data, cand[5].data, arch, cross_gcc(machine),
            arch, arch, arch, arch, arch, arch, arch, arch, arch, /* the nine packages */
            arch, triplet(machine), arch, arch, arch);
    for (int i = 0; i < NCAND; i++) rw_buf_free(&cand[i]);
    free(dir);
    free(self);
    return rc;
}

/* ---- the files bundled ---------------------------------------------------------------------- */

typedef struct {
    rw_package *p;
    rw_elf **elf; /* parallel to p->files; NULL for bootstrap */
    int machine;
} bundle;

static rw_package_file *add_file(bundle *b, const char *name, const char *source, const char *why,
                                 unsigned mode, rw_elf *e) {
    rw_package *p = b->p;
    p->files = rw_xrealloc(p->files, (p->n + 1) * sizeof *p->files);
    b->elf = rw_xrealloc(b->elf, (p->n + 1) * sizeof *b->elf);
    rw_package_file *f = &p->files[p->n];
    memset(f, 0, sizeof *f);
    f->name = rw_xstrdup(name);
    f->source = source ? rw_xstrdup(source) : NULL;
    f->why = rw_xstrdup(why);
    f->mode = mode;
    struct stat st;
    if (source && stat(source, &st) == 0) f->size = (uint64_t)st.st_size;
    b->elf[p->n++] = e;
    return f;
}

static int find_bundled(const bundle *b, const char *name) {
    for (size_t i = 0; i < b->p->n; i++)
        if (strcmp(b->p->files[i].name, name) == 0) return (int)i;
    return -1;
}

/* Where the loader would look for soname needed by an object at from (with runpath): its
 * DT_RUNPATH ($ORIGIN expanded), then the system's folders for machine. A candidate of another
 * machine is passed over, as the loader does. Returns the real path of the file, or NULL. */
static char *resolve(const char *soname, const char *from, const char *runpath, int machine,
                     rw_buf *looked) {
    rw_buf dirs;
    rw_buf_init(&dirs, 0);
    if (runpath) {
        char *origin = dir_of(from);
        for (const char *s = runpath; *s;) {
            const char *end = strchr(s, ':');
            size_t n = end ? (size_t)(end - s) : strlen(s);
            if (n >= 7 && strncmp(s, "$ORIGIN", 7) == 0)
                rw_buf_printf(&dirs, "%s%.*s", origin, (int)(n - 7), s + 7);
            else if (n >= 9 && strncmp(s, "${ORIGIN}", 9) == 0)
                rw_buf_printf(&dirs, "%s%.*s", origin, (int)(n - 9), s + 9);
            else
                rw_buf_append(&dirs, s, n);
            rw_buf_putc(&dirs, '\n');
            s += n + (end ? 1 : 0);
        }
        free(origin);
    }
    const char *t = triplet(machine);
    rw_buf_printf(&dirs, "/lib/%s\n/usr/lib/%s\n", t, t);
    if (machine == rw_package_native_machine()) {
        if (machine == RW_ELF_X86_64) rw_buf_puts(&dirs, "/lib64\n/usr/lib64\n");
        rw_buf_puts(&dirs, "/lib\n/usr/lib\n");
    }
    char *found = NULL;
    rw_buf_reset(looked);
    for (char *d = dirs.data; d && *d && !found;) {
        char *nl = strchr(d, '\n');
        *nl = 0;
        if (*d) {
            rw_buf_printf(looked, "%s%s", looked->len ? ", " : "", d);
            rw_buf path;
            rw_buf_init(&path, 0);
            rw_buf_printf(&path, "%s/%s", d, soname);
            char real[PATH_MAX];
            if (access(path.data, R_OK) == 0 && is_machine(path.data, machine) &&
                realpath(path.data, real))
                found = rw_xstrdup(real);
            rw_buf_free(&path);
        }
        d = nl + 1;
    }
    rw_buf_free(&dirs);
    return found;
}

static int not_found(int machine, const char *soname, const char *by, const char *looked) {
    char name[32];
    const char *arch = rw_elf_machine_name(machine, name);
    if (machine != rw_package_native_machine())
        return rw_error_set(RW_ENOTFOUND,
                            "%s (needed by %s) not found for %s (looked in %s): install Debian's "
                            "%s libraries (dpkg --add-architecture %s; apt-get install "
                            "PACKAGE:%s; docs/lambda.md, \"The other architecture\")",
                            soname, by, arch, looked, arch, arch, arch);
    return rw_error_set(RW_ENOTFOUND, "%s (needed by %s) not found (looked in %s)", soname, by,
                        looked);
}

/* Bundles what the file at index i needs, then what those need, breadth first. */
static int bundle_needed(bundle *b) {
    rw_buf looked, name, why;
    rw_buf_init(&looked, 0);
    rw_buf_init(&name, 0);
    rw_buf_init(&why, 0);
    int rc = RW_OK;
    for (size_t i = 0; i < b->p->n && rc == RW_OK; i++) {
        rw_elf *e = b->elf[i];
        if (!e) continue;
        for (size_t j = 0; j < e->n_needed && rc == RW_OK; j++) {
            const char *soname = e->needed[j];
            const char *base = strrchr(soname, '/') ? strrchr(soname, '/') + 1 : soname;
            rw_buf_reset(&name);
            rw_buf_printf(&name, "lib/%s", base);
            if (find_bundled(b, name.data) >= 0) continue;
            char *src = strchr(soname, '/') ? realpath(soname, NULL)
                                            : resolve(soname, b->p->files[i].source, e->runpath,
                                                      b->machine, &looked);
            if (!src) {
                if (strchr(soname, '/')) rw_buf_puts(&looked, soname);
                rc = not_found(b->machine, soname, b->p->files[i].name,
                               looked.data ? looked.data : "");
                break;
            }
            rw_elf *le = NULL;
            if ((rc = rw_elf_read(&le, src)) == RW_OK) {
                rw_buf_reset(&why);
                rw_buf_printf(&why, "needed by %s", b->p->files[i].name);
                add_file(b, name.data, src, why.data, 0644, le);
            }
            free(src);
        }
    }
    rw_buf_free(&looked);
    rw_buf_free(&name);
    rw_buf_free(&why);
    return rc;
}

/* The newest GLIBC_2.N that e defines ("2.36"), or NULL. */
static char *glibc_version(const rw_elf *e) {
    int best_major = -1, best_minor = -1;
    for (size_t i = 0; i < e->n_verdef; i++) {
        int ma, mi, n = 0;
        if (sscanf(e->verdef[i], "GLIBC_%d.%d%n", &ma, &mi, &n) == 2 && e->verdef[i][n] == 0 &&
            (ma > best_major || (ma == best_major && mi > best_minor))) {
            best_major = ma;
            best_minor = mi;
        }
    }
    if (best_major < 0) return NULL;
    char buf[32];
    snprintf(buf, sizeof buf, "%d.%d", best_major, best_minor);
    return rw_xstrdup(buf);
}

/* Every symbol version a bundled file needs must be defined by the bundled file it names: the
 * package then needs nothing of the system's libraries, whatever their versions. */
static int check_versions(bundle *b) {
    rw_buf msg, name;
    rw_buf_init(&msg, 0);
    rw_buf_init(&name, 0);
    size_t problems = 0;
    for (size_t i = 0; i < b->p->n; i++) {
        rw_elf *e = b->elf[i];
        if (!e) continue;
        for (size_t j = 0; j < e->n_verneed; j++) {
            const rw_elf_verneed *v = &e->verneed[j];
            rw_buf_reset(&name);
            rw_buf_printf(&name, "lib/%s", v->file);
            int k = find_bundled(b, name.data);
            for (size_t m = 0; m < v->n; m++) {
                if (v->weak[m] || (k >= 0 && rw_elf_defines(b->elf[k], v->names[m]))) continue;
                if (problems++ < 5)
                    rw_buf_printf(&msg, "%s%s needs %s of %s, %s", problems > 1 ? "; " : "",
                                  b->p->files[i].name, v->names[m], v->file,
                                  k >= 0 ? "which the bundled one does not define"
                                         : "which is not bundled");
            }
        }
    }
    int rc = RW_OK;
    if (problems)
        rc = rw_error_set(RW_EINVAL, "the package would not start: %s%s", msg.data,
                          problems > 5 ? "; ..." : "");
    rw_buf_free(&msg);
    rw_buf_free(&name);
    return rc;
}

static char *bootstrap_script(const rw_package *p) {
    rw_buf s;
    rw_buf_init(&s, 0);
    rw_buf_puts(&s, "#!/bin/sh\n"
                    "# The AWS Lambda bootstrap of rootwatch, written by 'rootwatch package'.\n");
    if (p->loader)
        rw_buf_printf(&s,
                      "# It starts bin/rootwatch through the dynamic loader bundled in lib/, with "
                      "lib/ as the only\n"
                      "# library path and the system's loader cache ignored: rootwatch runs on "
                      "the C library it was\n"
                      "# built with (glibc %s), never on the system's (Amazon Linux 2023 has "
                      "2.34). The options are\n"
                      "# the loader's own, not LD_LIBRARY_PATH, so the programs rootwatch starts "
                      "(credential_process)\n"
                      "# run on the system's libraries.\n",
                      p->glibc ? p->glibc : "of the build");
    rw_buf_puts(
        &s, "case \"$0\" in */*) here=\"${0%/*}\" ;; *) here=. ;; esac\n"
            "root=\"${LAMBDA_TASK_ROOT:-$here}\"\n"
            "# rootwatch reads its CA certificates from /etc/ssl/certs/ca-certificates.crt (as "
            "Debian's libcurl); Amazon\n"
            "# Linux keeps them in /etc/pki/tls/certs/ca-bundle.crt.\n"
            "if [ -z \"${AWS_CA_BUNDLE:-}\" ] && [ ! -e /etc/ssl/certs/ca-certificates.crt ] &&\n"
            "   [ -e /etc/pki/tls/certs/ca-bundle.crt ]; then\n"
            "    AWS_CA_BUNDLE=/etc/pki/tls/certs/ca-bundle.crt\n"
            "    export AWS_CA_BUNDLE\n"
            "fi\n");
    if (p->loader)
        rw_buf_printf(&s,
                      "exec \"$root/%s\" --inhibit-cache --library-path \"$root/lib\" "
                      "\"$root/bin/rootwatch\" lambda \"$@\"\n",
                      p->loader);
    else
        rw_buf_puts(&s, "exec \"$root/bin/rootwatch\" lambda \"$@\"\n");
    return rw_buf_take(&s);
}

static int cmp_files(const void *a, const void *b) {
    const rw_package_file *x = a, *y = b;
    /* bootstrap first, then by name: bin/, lib/ */
    bool xb = strcmp(x->name, "bootstrap") == 0, yb = strcmp(y->name, "bootstrap") == 0;
    if (xb != yb) return xb ? -1 : 1;
    return strcmp(x->name, y->name);
}

int rw_package_build(rw_package **out, const rw_package_opts *o) {
    *out = NULL;
    rw_package *p = rw_xcalloc(1, sizeof *p);
    bundle b = {.p = p};
    rw_zip *z = NULL;
    char *script = NULL;
    rw_elf *prog = NULL;
    int rc;
    char real[PATH_MAX];
    if (!realpath(o->binary, real)) {
        rc = rw_error_set(errno == ENOENT ? RW_ENOTFOUND : RW_EIO, "%s: %s", o->binary,
                          strerror(errno));
        goto out;
    }
    if ((rc = rw_elf_read(&prog, real)) != RW_OK) goto out;
    char n1[32], n2[32];
    if (o->machine && prog->machine != o->machine) {
        rc = rw_error_set(RW_EINVAL, "%s is built for %s, not %s", o->binary,
                          rw_elf_machine_name(prog->machine, n1),
                          rw_elf_machine_name(o->machine, n2));
        goto out;
    }
    if (prog->machine != RW_ELF_X86_64 && prog->machine != RW_ELF_AARCH64) {
        rc = rw_error_set(RW_EINVAL, "%s is built for %s: Lambda runs x86_64 and arm64", o->binary,
                          rw_elf_machine_name(prog->machine, n1));
        goto out;
    }
    b.machine = p->machine = prog->machine;
    add_file(&b, "bootstrap", NULL, "", 0755, NULL);
    rw_elf *pe = prog;
    prog = NULL;
    add_file(&b, "bin/rootwatch", real, "the program", 0755, pe);
    if (o->config) {
        /* rootwatch lambda reads $LAMBDA_TASK_ROOT/rootwatch.yaml when ROOTWATCH_CONFIG is unset */
        char creal[PATH_MAX];
        if (!realpath(o->config, creal)) {
            rc = rw_error_set(errno == ENOENT ? RW_ENOTFOUND : RW_EIO, "%s: %s", o->config,
                              strerror(errno));
            goto out;
        }
        add_file(&b, "rootwatch.yaml", creal, "the notification configuration", 0644, NULL);
    }
    if (pe->interp) {
        /* the loader the program asks for, under its own name */
        const char *base = strrchr(pe->interp, '/') ? strrchr(pe->interp, '/') + 1 : pe->interp;
        rw_buf name;
        rw_buf_init(&name, 0);
        rw_buf_printf(&name, "lib/%s", base);
        p->loader = rw_xstrdup(name.data);
        rw_buf looked;
        rw_buf_init(&looked, 0);
        char *src = NULL;
        if (p->machine == rw_package_native_machine()) src = realpath(pe->interp, NULL);
        if (!src) src = resolve(base, real, NULL, p->machine, &looked);
        rw_elf *le = NULL;
        if (!src)
            rc = not_found(p->machine, base, "bin/rootwatch: its dynamic loader",
                           looked.data ? looked.data : "");
        else if ((rc = rw_elf_read(&le, src)) == RW_OK)
            add_file(&b, name.data, src, "the dynamic loader", 0755, le);
        free(src);
        rw_buf_free(&looked);
        rw_buf_free(&name);
        if (rc != RW_OK) goto out;
    }
    if ((rc = bundle_needed(&b)) != RW_OK) goto out;
    if (pe->interp) {
        rw_buf looked;
        rw_buf_init(&looked, 0);
        for (size_t i = 0; i < sizeof runtime_extras / sizeof runtime_extras[0]; i++) {
            char name[64];
            snprintf(name, sizeof name, "lib/%s", runtime_extras[i]);
            if (find_bundled(&b, name) >= 0) continue;
            char *src = resolve(runtime_extras[i], real, NULL, p->machine, &looked);
            rw_elf *le = NULL;
            if (src && rw_elf_read(&le, src) == RW_OK)
                add_file(&b, name, src, "loaded by the C library when a thread is cancelled", 0644,
                         le);
            rw_error_clear();
            free(src);
        }
        rw_buf_free(&looked);
        if ((rc = bundle_needed(&b)) != RW_OK) goto out;
        int libc = find_bundled(&b, "lib/libc.so.6");
        if (libc >= 0) {
            p->glibc = glibc_version(b.elf[libc]);
            free(p->files[libc].why);
            rw_buf why;
            rw_buf_init(&why, 0);
            rw_buf_printf(&why, "the C library (glibc %s)", p->glibc ? p->glibc : "?");
            p->files[libc].why = rw_buf_take(&why);
        }
    }
    if ((rc = check_versions(&b)) != RW_OK) goto out;

    /* the zip, in name order (bootstrap first), with the ELF facts kept in step */
    for (size_t i = 0; i < p->n; i++) rw_elf_free(b.elf[i]);
    free(b.elf);
    b.elf = NULL;
    qsort(p->files, p->n, sizeof *p->files, cmp_files);
    script = bootstrap_script(p);
    if ((rc = rw_zip_open(&z, o->output)) != RW_OK) goto out;
    for (size_t i = 0; i < p->n && rc == RW_OK; i++) {
        rw_package_file *f = &p->files[i];
        if (!f->source) {
            f->size = strlen(script);
            rc = rw_zip_add(z, f->name, f->mode, script, f->size);
        } else {
            rc = rw_zip_add_file(z, f->name, f->mode, f->source);
        }
    }
    if (rc != RW_OK) goto out;
    rc = rw_zip_finish(z, &p->zip_size);
    z = NULL;
out:
    rw_zip_abort(z);
    free(script);
    rw_elf_free(prog);
    if (b.elf)
        for (size_t i = 0; i < p->n; i++) rw_elf_free(b.elf[i]);
    free(b.elf);
    if (rc != RW_OK) {
        rw_package_free(p);
        return rc;
    }
    *out = p;
    return RW_OK;
}

void rw_package_free(rw_package *p) {
    if (!p) return;
    for (size_t i = 0; i < p->n; i++) {
        free(p->files[i].name);
        free(p->files[i].source);
        free(p->files[i].why);
    }
    free(p->files);
    free(p->loader);
    free(p->glibc);
    free(p);
}
