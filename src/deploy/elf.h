/* What the packager needs to know of an ELF file, read without running it (so a binary of another
 * architecture is read as well as a native one): its machine, the dynamic loader it asks for
 * (PT_INTERP), the libraries it needs (DT_NEEDED), where it says to look for them (DT_RUNPATH,
 * DT_RPATH), its soname, and its symbol versions: those it defines (.gnu.version_d) and those it
 * needs from each library (.gnu.version_r). 64-bit little-endian ELF only (x86_64, aarch64). */
#ifndef RW_DEPLOY_ELF_H
#define RW_DEPLOY_ELF_H

#include <stdbool.h>
#include <stddef.h>

enum { RW_ELF_X86_64 = 62, RW_ELF_AARCH64 = 183 };

typedef struct rw_elf_verneed {
    char *file;   /* the library the versions are needed from ("libc.so.6") */
    char **names; /* the versions ("GLIBC_2.36") */
    bool *weak;   /* names[i] is needed only weakly (its absence is no error) */
    size_t n;
} rw_elf_verneed;

typedef struct rw_elf {
    int machine;   /* e_machine: RW_ELF_X86_64, RW_ELF_AARCH64, ... */
    bool dynamic;  /* has a dynamic section */
    char *interp;  /* PT_INTERP ("/lib64/ld-linux-x86-64.so.2"), or NULL */
    char *soname;  /* DT_SONAME, or NULL */
    char *runpath; /* DT_RUNPATH, else DT_RPATH, or NULL */
    char **needed; /* DT_NEEDED, in order */
    size_t n_needed;
    char **verdef; /* the versions it defines (not its own base name) */
    size_t n_verdef;
    rw_elf_verneed *verneed;
    size_t n_verneed;
} rw_elf;

/* True when the first bytes of a file say ELF. */
bool rw_elf_is_elf(const void *head, size_t len);
/* Reads the ELF file at path: RW_ENOTFOUND (no such file), RW_EIO, or RW_EINVAL (not an ELF file
 * this reader knows, or damaged: the message says where). *out is freed with rw_elf_free. */
int rw_elf_read(rw_elf **out, const char *path);
/* The same from bytes in memory (name for messages). */
int rw_elf_parse(rw_elf **out, const void *data, size_t len, const char *name);
void rw_elf_free(rw_elf *e);
/* True when e defines version name. */
bool rw_elf_defines(const rw_elf *e, const char *name);
/* A name for a machine: "x86_64", "arm64", or "machine N" (in buf). */
const char *rw_elf_machine_name(int machine, char buf[32]);

#endif
