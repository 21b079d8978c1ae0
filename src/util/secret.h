/* Wiping secrets: the one way rootwatch zeroes memory that held a secret (secret keys, session
 * tokens, credential_process output, webhook URLs and tokens, SMTP passwords, HMAC keys, the keys
 * SigV4 derives, configuration files that hold secrets). A plain memset of memory that is about to
 * be freed or to go out of scope is a dead store the compiler may drop; these are built on
 * explicit_bzero, which it may not. An rw_buf that holds a secret is marked (rw_buf_set_secret,
 * util/buf.h) and wiped through these when it grows or is freed.
 *
 * No other file in src/ wipes memory itself (explicit_bzero, OPENSSL_cleanse, a volatile loop):
 * tests/unit/test_secret.c fails when one does. */
#ifndef RW_SECRET_H
#define RW_SECRET_H

#include <stddef.h>

/* Zeroes p[0..n) in a way the compiler cannot optimise away. p may be NULL when n is 0. */
void rw_secret_wipe(void *p, size_t n);
/* Wipes p[0..n) and frees p (NULL: nothing). */
void rw_secret_free(void *p, size_t n);

#endif
