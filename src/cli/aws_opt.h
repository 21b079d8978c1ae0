/* The AWS options commands share: --profile, --endpoint-url and (for commands that call AWS in one
 * region) --region (the session is aws/session.h). */
#ifndef RW_CLI_AWS_OPT_H
#define RW_CLI_AWS_OPT_H

#include <getopt.h>
#include <stdbool.h>

#include "aws/session.h"

/* What getopt_long returns for them: above any other option's value. */
enum { RW_AWS_OPT_PROFILE = 0x1000, RW_AWS_OPT_ENDPOINT, RW_AWS_OPT_REGION };

/* Entries of a getopt_long table: --profile and --endpoint-url; --region where the command calls
 * AWS in the region it names (scan's --region filters records instead: not this one). */
#define RW_AWS_OPTS_LONGOPTS                                                                       \
    {"profile", required_argument, 0, RW_AWS_OPT_PROFILE}, {                                       \
        "endpoint-url", required_argument, 0, RW_AWS_OPT_ENDPOINT                                  \
    }
#define RW_AWS_OPT_REGION_LONGOPT                                                                  \
    { "region", required_argument, 0, RW_AWS_OPT_REGION }

/* Help lines for the options. */
#define RW_AWS_OPTS_HELP                                                                           \
    "      --profile NAME      the AWS profile (default: AWS_PROFILE, or \"default\")\n"           \
    "      --endpoint-url URL  send every AWS call to URL (an emulator such as moto); see also\n"  \
    "                          AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>\n"
#define RW_AWS_OPT_REGION_HELP                                                                     \
    "      --region NAME       the region (default: AWS_REGION, AWS_DEFAULT_REGION, the\n"         \
    "                          profile's)\n"

/* Takes what getopt_long returned (its value in optarg): one of the options above is kept in ao
 * and true is returned; anything else, false. */
bool rw_cli_aws_opt(int c, rw_aws_opts *ao);

#endif
