/* The AWS settings commands share: --profile, --region (where the command has no other use for
 * it), --endpoint-url; and the session built from them (settings, credential chain, client). */
#ifndef RW_AWS_OPT_H
#define RW_AWS_OPT_H

#include "aws/client.h"
#include "aws/config.h"
#include "aws/provider.h"

typedef struct rw_aws_session {
    rw_aws_config *cfg;
    rw_aws_provider *creds;
} rw_aws_session;

/* Loads the settings and sets up the credential chain; on error reports it and returns non-zero. */
int rw_aws_session_open(rw_aws_session *s, const rw_aws_opts *opts);
void rw_aws_session_close(rw_aws_session *s);

/* Help lines for the options. */
#define RW_AWS_OPTS_HELP                                                                           \
    "      --profile NAME      the AWS profile (default: AWS_PROFILE, or \"default\")\n"           \
    "      --endpoint-url URL  send every AWS call to URL (an emulator such as moto); see also\n"  \
    "                          AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>\n"

#endif
