/* A credential provider: gives AWS credentials valid at a time, cached, renewed 5 minutes before
 * they expire, thread-safe. The AWS client signs with one (client.h); where the credentials come
 * from is the resolver's business: a fixed set (rw_aws_provider_static, below), or the standard
 * chain (provider_chain.h).
 *
 * Within src/aws the order is, bottom up: creds, config, xml, process, sigv4 (and util/http.h);
 * provider (this interface: no STS, no client); client (and paginate); provider_sts (AssumeRole
 * and web identity through the client); provider_chain (the standard chain); session; the
 * services (s3, cloudtrail). A file includes only headers of its own level or below, so that the
 * client never depends on the providers that call it: RW_FILE_ORDER_aws in CMakeLists.txt, which
 * the build checks. */
#ifndef RW_AWS_PROVIDER_H
#define RW_AWS_PROVIDER_H

#include <stdint.h>

#include "aws/creds.h"

typedef struct rw_aws_provider rw_aws_provider;

/* Finds fresh credentials: RW_OK with *out set to new credentials (the provider takes them and
 * frees them with rw_aws_creds_free), RW_ENOTFOUND or another error code with the message set
 * (never a secret). */
typedef int (*rw_aws_resolve_fn)(void *ctx, rw_aws_creds **out);

/* A provider that asks resolve(ctx) when it has no credentials or they are about to expire, freed
 * with rw_aws_provider_free. ctx is borrowed: it must outlive the provider. */
rw_aws_provider *rw_aws_provider_new(rw_aws_resolve_fn resolve, void *ctx);
/* A provider that always gives these credentials (tests, explicit keys, the source of AssumeRole):
 * it keeps a copy of creds, which stay the caller's. Freed with rw_aws_provider_free. */
rw_aws_provider *rw_aws_provider_static(const rw_aws_creds *creds);
void rw_aws_provider_free(rw_aws_provider *p);
/* Credentials valid at now (cached; thread-safe): *out is a new copy of the cached ones, which the
 * caller frees with rw_aws_creds_free; NULL on failure, which returns an error code with a message
 * that says which sources were tried and why each failed, never a secret. */
int rw_aws_provider_get(rw_aws_provider *p, int64_t now, rw_aws_creds **out);

#endif
