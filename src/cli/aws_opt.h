/* The AWS options commands share: --profile, --endpoint-url (the session is aws/session.h). */
#ifndef RW_CLI_AWS_OPT_H
#define RW_CLI_AWS_OPT_H

#include "aws/session.h"

/* Help lines for the options. */
#define RW_AWS_OPTS_HELP                                                                           \
    "      --profile NAME      the AWS profile (default: AWS_PROFILE, or \"default\")\n"           \
    "      --endpoint-url URL  send every AWS call to URL (an emulator such as moto); see also\n"  \
    "                          AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>\n"

#endif
