/* Reads an ELF file's dynamic linking facts through its program headers, as the dynamic loader
 * does (a stripped file has no section headers to rely on). Every offset is checked against the
 * file's size: a damaged file is an error, never a read out of bounds. */
#include "deploy/elf.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/xmalloc.h"

enum { PT_LOAD_ = 1, PT_DYNAMIC_ = 2, PT_INTERP_ = 3 };
#define DT_NEEDED_ 1
#define DT_STRTAB_ 5
#define DT_STRSZ_ 10
#define DT_SONAME_ 14
#define DT_RPATH_ 15
#define DT_RUNPATH_ 29
#define DT_VERDEF_ 0x6ffffffc
#define DT_VERDEFNUM_ 0x6ffffffd
#define DT_VERNEED_ 0x6ffffffe
#define DT_VERNEEDNUM_ 0x6fffffff
#define VER_FLG_BASE_ 1
#define VER_FLG_WEAK_ 2

typedef struct {
    const unsigned char *p;
    size_t len;
    const char *name;
    /* the PT_LOAD segments, to turn addresses into file offsets */
    uint64_t load_off[64], load_vaddr[64], load_size[64];
    size_t n_load;
    /* the dynamic string table */
    uint64_t str_off, str_size;
} elf_in;

static uint16_t u16(const unsigned char *p) {
    return (uint16_t)(p[0] | p[1] << 8);
}
static uint32_t u32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t u64(const unsigned char *p) {
    return (uint64_t)u32(p) | (uint64_t)u32(p + 4) << 32;
}

static bool in_file(const elf_in *in, uint64_t off, uint64_t n) {
    return off <= in->len && n <= in->len - off;
}

static int bad(const elf_in *in, const char *what) {
    return rw_error_set(RW_EINVAL, "%s: not a valid ELF file (%s)", in->name, what);
}

/* The file offset of address addr (n bytes there), or UINT64_MAX. */
static uint64_t addr_off(const elf_in *in, uint64_t addr, uint64_t n) {
    for (size_t i = 0; i < in->n_load; i++)
        if (addr >= in->load_vaddr[i] && addr - in->load_vaddr[i] < in->load_size[i] &&
            n <= in->load_size[i] - (addr - in->load_vaddr[i]))
            return in->load_off[i] + (addr - in->load_vaddr[i]);
    return UINT64_MAX;
}

/* The string at index idx of the dynamic string table, or NULL. */
static const char *dynstr(const elf_in *in, uint64_t idx) {
    if (idx >= in->str_size) return NULL;
    const char *s = (const char *)in->p + in->str_off + idx;
    if (!memchr(s, 0, in->str_size - idx)) return NULL;
    return s;
}

static void push(char ***v, size_t *n, const char *s) {
    *v = rw_xrealloc(*v, (*n + 1) * sizeof **v);
    (*v)[(*n)++] = rw_xstrdup(s);
}

bool rw_elf_is_elf(const void *head, size_t len) {
    return len >= 4 && memcmp(head,
                              "\x7f"
                              "ELF",
                              4) == 0;
}

const char *rw_elf_machine_name(int machine, char buf[32]) {
    if (machine == RW_ELF_X86_64) return "x86_64";
    if (machine == RW_ELF_AARCH64) return "arm64";
    snprintf(buf, 32, "machine %d", machine);
    return buf;
}

bool rw_elf_defines(const rw_elf *e, const char *name) {
    for (size_t i = 0; i < e->n_verdef; i++)
        if (strcmp(e->verdef[i], name) == 0) return true;
    return false;
}

void rw_elf_free(rw_elf *e) {
    if (!e) return;
    free(e->interp);
    free(e->soname);
    free(e->runpath);
    for (size_t i = 0; i < e->n_needed; i++) free(e->needed[i]);
    free(e->needed);
    for (size_t i = 0; i < e->n_verdef; i++) free(e->verdef[i]);
    free(e->verdef);
    for (size_t i = 0; i < e->n_verneed; i++) {
        rw_elf_verneed *v = &e->verneed[i];
        free(v->file);
        for (size_t j = 0; j < v->n; j++) free(v->names[j]);
        free(v->names);
        free(v->weak);
    }
    free(e->verneed);
    free(e);
}

static int read_verdef(elf_in *in, rw_elf *e, uint64_t addr, uint64_t count) {
    uint64_t off = addr_off(in, addr, 20);
    for (uint64_t i = 0; i < count; i++) {
        if (off == UINT64_MAX || !in_file(in, off, 20)) return bad(in, "version definitions");
        const unsigned char *d = in->p + off;
        uint16_t flags = u16(d + 2), cnt = u16(d + 6);
        uint32_t aux = u32(d + 12), next = u32(d + 16);
        if (cnt > 0 && !(flags & VER_FLG_BASE_)) {
            if (!in_file(in, off + aux, 8)) return bad(in, "version definitions");
            const char *name = dynstr(in, u32(in->p + off + aux));
            if (!name) return bad(in, "version definition name");
            push(&e->verdef, &e->n_verdef, name);
        }
        if (next == 0) break;
        off += next;
    }
    return RW_OK;
}

static int read_verneed(elf_in *in, rw_elf *e, uint64_t addr, uint64_t count) {
    uint64_t off = addr_off(in, addr, 16);
    for (uint64_t i = 0; i < count; i++) {
        if (off == UINT64_MAX || !in_file(in, off, 16)) return bad(in, "version needs");
        const unsigned char *d = in->p + off;
        uint16_t cnt = u16(d + 2);
        const char *file = dynstr(in, u32(d + 4));
        if (!file) return bad(in, "version needs file name");
        e->verneed = rw_xrealloc(e->verneed, (e->n_verneed + 1) * sizeof *e->verneed);
        rw_elf_verneed *v = &e->verneed[e->n_verneed++];
        memset(v, 0, sizeof *v);
        v->file = rw_xstrdup(file);
        uint64_t a = off + u32(d + 8);
        for (uint16_t j = 0; j < cnt; j++) {
            if (!in_file(in, a, 16)) return bad(in, "version needs");
            const char *name = dynstr(in, u32(in->p + a + 8));
            if (!name) return bad(in, "version need name");
            v->names = rw_xrealloc(v->names, (v->n + 1) * sizeof *v->names);
            v->weak = rw_xrealloc(v->weak, (v->n + 1) * sizeof *v->weak);
            v->weak[v->n] = (u16(in->p + a + 4) & VER_FLG_WEAK_) != 0;
            v->names[v->n++] = rw_xstrdup(name);
            uint32_t next = u32(in->p + a + 12);
            if (next == 0) break;
            a += next;
        }
        uint32_t next = u32(d + 12);
        if (next == 0) break;
        off += next;
    }
    return RW_OK;
}

int rw_elf_parse(rw_elf **out, const void *data, size_t len, const char *name) {
    *out = NULL;
    elf_in in = {.p = data, .len = len, .name = name};
    if (!rw_elf_is_elf(data, len) || len < 64) return bad(&in, "no ELF header");
    if (in.p[4] != 2 || in.p[5] != 1)
        return rw_error_set(RW_EINVAL, "%s: not a 64-bit little-endian ELF file", name);
    rw_elf *e = rw_xcalloc(1, sizeof *e);
    int rc = RW_OK;
    e->machine = u16(in.p + 18);
    uint64_t phoff = u64(in.p + 32);
    uint16_t phentsize = u16(in.p + 54), phnum = u16(in.p + 56);
    if (phnum && (phentsize < 56 || !in_file(&in, phoff, (uint64_t)phentsize * phnum))) {
        rc = bad(&in, "program headers");
        goto out;
    }
    uint64_t dyn_off = 0, dyn_size = 0;
    for (uint16_t i = 0; i < phnum; i++) {
        const unsigned char *ph = in.p + phoff + (uint64_t)i * phentsize;
        uint32_t type = u32(ph);
        uint64_t off = u64(ph + 8), vaddr = u64(ph + 16), filesz = u64(ph + 32);
        if (!in_file(&in, off, filesz)) {
            rc = bad(&in, "a segment beyond the end of the file");
            goto out;
        }
        if (type == PT_LOAD_ && in.n_load < sizeof in.load_off / sizeof in.load_off[0]) {
            in.load_off[in.n_load] = off;
            in.load_vaddr[in.n_load] = vaddr;
            in.load_size[in.n_load++] = filesz;
        } else if (type == PT_INTERP_) {
            if (filesz == 0 || in.p[off + filesz - 1] != 0) {
                rc = bad(&in, "interpreter name");
                goto out;
            }
            free(e->interp);
            e->interp = rw_xstrdup((const char *)in.p + off);
        } else if (type == PT_DYNAMIC_) {
            dyn_off = off;
            dyn_size = filesz;
        }
    }
    if (!dyn_size) goto out;
    e->dynamic = true;
    uint64_t strtab = 0, strsz = 0, verdef = 0, verdefnum = 0, verneed = 0, verneednum = 0;
    for (uint64_t o = dyn_off; o + 16 <= dyn_off + dyn_size; o += 16) {
        uint64_t tag = u64(in.p + o), val = u64(in.p + o + 8);
        if (tag == 0) break;
        if (tag == DT_STRTAB_) strtab = val;
        if (tag == DT_STRSZ_) strsz = val;
        if (tag == DT_VERDEF_) verdef = val;
        if (tag == DT_VERDEFNUM_) verdefnum = val;
        if (tag == DT_VERNEED_) verneed = val;
        if (tag == DT_VERNEEDNUM_) verneednum = val;
    }
    in.str_off = addr_off(&in, strtab, strsz);
    in.str_size = strsz;
    if (!strtab || in.str_off == UINT64_MAX) {
        rc = bad(&in, "dynamic string table");
        goto out;
    }
    for (uint64_t o = dyn_off; o + 16 <= dyn_off + dyn_size; o += 16) {
        uint64_t tag = u64(in.p + o), val = u64(in.p + o + 8);
        if (tag == 0) break;
        if (tag != DT_NEEDED_ && tag != DT_SONAME_ && tag != DT_RPATH_ && tag != DT_RUNPATH_)
            continue;
        const char *s = dynstr(&in, val);
        if (!s) {
            rc = bad(&in, "a name in the dynamic section");
            goto out;
        }
        if (tag == DT_NEEDED_) {
            push(&e->needed, &e->n_needed, s);
        } else if (tag == DT_SONAME_) {
            free(e->soname);
            e->soname = rw_xstrdup(s);
        } else if (tag == DT_RUNPATH_ || !e->runpath) { /* DT_RUNPATH wins over DT_RPATH */
            free(e->runpath);
            e->runpath = rw_xstrdup(s);
        }
    }
    if (verdef && (rc = read_verdef(&in, e, verdef, verdefnum)) != RW_OK) goto out;
    if (verneed && (rc = read_verneed(&in, e, verneed, verneednum)) != RW_OK) goto out;
out:
    if (rc != RW_OK) {
        rw_elf_free(e);
        return rc;
    }
    *out = e;
    return RW_OK;
}

int rw_elf_read(rw_elf **out, const char *path) {
    *out = NULL;
    rw_buf b;
    rw_buf_init(&b, 0);
    int rc = rw_buf_read_file(&b, path);
    if (rc == RW_OK) rc = rw_elf_parse(out, b.data ? b.data : "", b.len, path);
    rw_buf_free(&b);
    return rc;
}
