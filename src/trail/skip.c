#include "trail/skip.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define RW_X86 1
#endif

void rw_skip_init(rw_skip_state *st) {
    memset(st, 0, sizeof *st);
}

/* Marks the bytes escaped by a backslash (simdjson's find_escaped). */
#define ALWAYS_INLINE static inline __attribute__((always_inline))

ALWAYS_INLINE uint64_t find_escaped(uint64_t backslash, uint64_t *prev_escaped) {
    backslash &= ~*prev_escaped;
    uint64_t follows_escape = backslash << 1 | *prev_escaped;
    const uint64_t even_bits = 0x5555555555555555ULL;
    uint64_t odd_sequence_starts = backslash & ~even_bits & ~follows_escape;
    unsigned long long seq_even;
    *prev_escaped = __builtin_uaddll_overflow(odd_sequence_starts, backslash, &seq_even);
    uint64_t invert_mask = (uint64_t)seq_even << 1;
    return (even_bits ^ invert_mask) & follows_escape;
}

ALWAYS_INLINE uint64_t prefix_xor(uint64_t x) {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    return x;
}

typedef struct masks {
    uint64_t quote, backslash, open, close;
} masks;

/* One 64-byte block: updates the state and returns the bit of the closing bracket, or -1. valid
 * masks off bytes past the data. A partial block that does not close the value leaves the state as
 * it was: it must be scanned again once more data is there. */
ALWAYS_INLINE int block(rw_skip_state *st, const char *p, masks m, uint64_t valid) {
    uint64_t quote = m.quote & valid, bs = m.backslash & valid;
    uint64_t escaped_carry = st->escaped;
    uint64_t escaped = 0;
    if (bs | escaped_carry) escaped = find_escaped(bs, &escaped_carry);
    quote &= ~escaped;
    uint64_t instr = prefix_xor(quote) ^ st->in_string;
    uint64_t open = m.open & valid & ~instr, close = m.close & valid & ~instr;
    int64_t depth = st->depth;
    int end = -1;
    if (open | close) {
        int nc = __builtin_popcountll(close);
        if (nc < depth) {
            depth += __builtin_popcountll(open) - nc;
        } else {
            for (uint64_t s = open | close; s; s &= s - 1) {
                uint64_t b = s & -s;
                if (open & b) {
                    depth++;
                } else if (--depth == 0) {
                    end = __builtin_ctzll(b);
                    break;
                }
            }
        }
    }
    if (end < 0 && valid != ~0ULL) return -1;
    /* a \u escape is an escaped 'u': looking at the escaped bytes (which the carry extends into
     * the next block) never reads past the block, so the padding cannot decide the flag */
    if (escaped && !(st->flags & RW_SKIP_UESCAPE)) {
        if (end >= 0) escaped &= ~0ULL >> (63 - end);
        for (; escaped; escaped &= escaped - 1)
            if (p[__builtin_ctzll(escaped)] == 'u') {
                st->flags |= RW_SKIP_UESCAPE;
                break;
            }
    }
    st->depth = depth;
    st->in_string = (uint64_t)((int64_t)instr >> 63);
    st->escaped = escaped_carry;
    return end;
}

ALWAYS_INLINE uint64_t valid_mask(size_t have) {
    return have >= 64 ? ~0ULL : (1ULL << have) - 1;
}

static masks masks_scalar(const char *p) {
    masks m = {0, 0, 0, 0};
    for (int i = 0; i < 64; i++) {
        unsigned char c = (unsigned char)p[i];
        uint64_t b = 1ULL << i;
        if (c == '"') m.quote |= b;
        if (c == '\\') m.backslash |= b;
        if ((c | 0x20) == '{') m.open |= b;  /* '{' or '[' */
        if ((c | 0x20) == '}') m.close |= b; /* '}' or ']' */
    }
    return m;
}

#define SKIP_LOOP(MASKS)                                                                           \
    while (st->pos < avail) {                                                                      \
        const char *p = start + st->pos;                                                           \
        uint64_t valid = valid_mask(avail - st->pos);                                              \
        int end = block(st, p, MASKS(p), valid);                                                   \
        if (end >= 0) {                                                                            \
            *len = st->pos + (size_t)end + 1;                                                      \
            return RW_OK;                                                                          \
        }                                                                                          \
        if (valid != ~0ULL) break;                                                                 \
        st->pos += 64;                                                                             \
    }                                                                                              \
    return RW_EAGAIN;

static int skip_generic(rw_skip_state *st, const char *start, size_t avail, size_t *len) {
    SKIP_LOOP(masks_scalar)
}

#ifdef RW_X86
static inline masks masks_sse2(const char *p) {
    masks m;
    const __m128i q = _mm_set1_epi8('"'), b = _mm_set1_epi8('\\'), o = _mm_set1_epi8('{'),
                  c = _mm_set1_epi8('}'), lower = _mm_set1_epi8(0x20);
    uint64_t mq = 0, mb = 0, mo = 0, mc = 0;
    for (int k = 0; k < 4; k++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(p + 16 * k));
        __m128i f = _mm_or_si128(v, lower);
        mq |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, q)) << (16 * k);
        mb |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, b)) << (16 * k);
        mo |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(f, o)) << (16 * k);
        mc |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(f, c)) << (16 * k);
    }
    m.quote = mq, m.backslash = mb, m.open = mo, m.close = mc;
    return m;
}

static int skip_sse2(rw_skip_state *st, const char *start, size_t avail, size_t *len) {
    SKIP_LOOP(masks_sse2)
}

__attribute__((target("avx2,bmi,popcnt"))) static inline masks masks_avx2(const char *p) {
    masks m;
    const __m256i q = _mm256_set1_epi8('"'), b = _mm256_set1_epi8('\\'), o = _mm256_set1_epi8('{'),
                  c = _mm256_set1_epi8('}'), lower = _mm256_set1_epi8(0x20);
    __m256i v0 = _mm256_loadu_si256((const __m256i *)p);
    __m256i v1 = _mm256_loadu_si256((const __m256i *)(p + 32));
    __m256i f0 = _mm256_or_si256(v0, lower), f1 = _mm256_or_si256(v1, lower);
#define M2(x0, x1)                                                                                 \
    ((uint64_t)(uint32_t)_mm256_movemask_epi8(x0) | (uint64_t)(uint32_t)_mm256_movemask_epi8(x1)   \
                                                        << 32)
    m.quote = M2(_mm256_cmpeq_epi8(v0, q), _mm256_cmpeq_epi8(v1, q));
    m.backslash = M2(_mm256_cmpeq_epi8(v0, b), _mm256_cmpeq_epi8(v1, b));
    m.open = M2(_mm256_cmpeq_epi8(f0, o), _mm256_cmpeq_epi8(f1, o));
    m.close = M2(_mm256_cmpeq_epi8(f0, c), _mm256_cmpeq_epi8(f1, c));
#undef M2
    return m;
}

__attribute__((target("avx2,bmi,popcnt"))) static int
skip_avx2(rw_skip_state *st, const char *start, size_t avail, size_t *len) {
    SKIP_LOOP(masks_avx2)
}
#endif

typedef int (*skip_fn)(rw_skip_state *, const char *, size_t, size_t *);

static skip_fn chosen;
static const char *chosen_name;

static void choose(void) {
    /* ROOTWATCH_SIMD=scalar|sse2 forces a slower implementation (for tests and comparisons) */
    const char *force = getenv("ROOTWATCH_SIMD");
    if (force && strcmp(force, "scalar") == 0) {
        chosen = skip_generic;
        chosen_name = "scalar";
        return;
    }
#ifdef RW_X86
    if (force && strcmp(force, "sse2") == 0) {
        chosen = skip_sse2;
        chosen_name = "sse2";
        return;
    }
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt")) {
        chosen = skip_avx2;
        chosen_name = "avx2";
        return;
    }
    chosen = skip_sse2;
    chosen_name = "sse2";
#else
    chosen = skip_generic;
    chosen_name = "scalar";
#endif
}

int rw_skip_container(rw_skip_state *st, const char *start, size_t avail, size_t *len) {
    if (__builtin_expect(!chosen, 0)) choose(); /* idempotent: a race only repeats the choice */
    return chosen(st, start, avail, len);
}

const char *rw_skip_impl(void) {
    if (!chosen) choose();
    return chosen_name;
}

int rw_skip_container_scalar(rw_skip_state *st, const char *start, size_t avail, size_t *len) {
    /* a plain state machine with the fast path's exact rules: a backslash escapes the next byte
     * (inside or outside strings), an unescaped quote toggles the string, brackets count outside
     * strings, an escaped 'u' sets the flag; the state is saved at the same 64-byte boundaries */
    bool in_str = st->in_string != 0, esc = st->escaped != 0;
    int64_t depth = st->depth;
    unsigned flags = st->flags;
    size_t base = st->pos;
    for (size_t i = base; i < avail; i++) {
        if (i > base && (i - base) % 64 == 0) {
            st->pos = i, st->depth = depth, st->in_string = in_str ? ~0ULL : 0;
            st->escaped = esc, st->flags = flags;
        }
        char c = start[i];
        bool was_esc = esc;
        esc = false;
        if (was_esc && c == 'u') flags |= RW_SKIP_UESCAPE;
        if (c == '\\') {
            esc = !was_esc;
        } else if (c == '"') {
            if (!was_esc) in_str = !in_str;
        } else if (!in_str && (c == '{' || c == '[')) {
            depth++;
        } else if (!in_str && (c == '}' || c == ']')) {
            if (--depth == 0) {
                *len = i + 1;
                st->depth = 0, st->flags = flags;
                return RW_OK;
            }
        }
    }
    if (avail > base && (avail - base) % 64 == 0) {
        st->pos = avail, st->depth = depth, st->in_string = in_str ? ~0ULL : 0;
        st->escaped = esc, st->flags = flags;
    }
    return RW_EAGAIN;
}
