/* Wiping secrets (secret.h). */
#include "util/secret.h"

#include <stdlib.h>
#include <string.h>

void rw_secret_wipe(void *p, size_t n) {
    if (p && n) explicit_bzero(p, n);
}

void rw_secret_free(void *p, size_t n) {
    if (!p) return;
    rw_secret_wipe(p, n);
    free(p);
}
