#include "cli/aws_opt.h"

bool rw_cli_aws_opt(int c, rw_aws_opts *ao) {
    switch (c) {
    case RW_AWS_OPT_PROFILE:
        ao->profile = optarg;
        return true;
    case RW_AWS_OPT_ENDPOINT:
        ao->endpoint_url = optarg;
        return true;
    case RW_AWS_OPT_REGION:
        ao->region = optarg;
        return true;
    default:
        return false;
    }
}
