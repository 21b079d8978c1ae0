/* rootwatch: makes sure no use of an AWS account's root user goes unnoticed. */
#include <stdio.h>

#include "cli/commands.h"
#include "cli/program.h"
#include "trail/skip.h"

static const struct rw_cli_command commands[] = {
    {"scan", rw_cmd_scan, "report root activity in CloudTrail history (files, folders, stdin)"},
    {"watch", rw_cmd_watch, "the real-time service: watch queues and other sources, alert"},
    {"test-pattern", rw_cmd_test_pattern, "evaluate an EventBridge event pattern against an event"},
    {"test-filter", rw_cmd_test_filter, "evaluate a CloudWatch Logs filter pattern on an event"},
    {"rules", rw_cmd_rules, "list the rules applied, check rule files"},
    {"aws", rw_cmd_aws, "aws whoami: the AWS identity, credentials and region rootwatch uses"},
    {"notify", rw_cmd_notify, "notify test, flush, check, channels: the notification setup"},
    {"alerts", rw_cmd_alerts, "the alert history and delivery state kept in the local store"},
    {"lambda", rw_cmd_lambda, "run as an AWS Lambda function (custom runtime; also as bootstrap)"},
    {"package", rw_cmd_package,
     "write the AWS Lambda deployment zip (bootstrap and its libraries)"},
    {"audit", rw_cmd_audit, "check that the account is set up so no root use goes unnoticed"},
    {"deploy", rw_cmd_deploy,
     "deploy template: the CloudFormation stack that runs rootwatch on AWS"},
    {"iam-policy", rw_cmd_iam_policy, "print the least IAM policy a command needs"},
};

static void usage(FILE *out) {
    fprintf(out, "usage: rootwatch COMMAND [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].help);
    fprintf(out,
            "\nEvery command takes -v (say what is loaded and skipped; -vv: debug details too),\n"
            "-q (errors only: no warnings, no summary) and --help.\n"
            "'rootwatch COMMAND --help' tells more; 'rootwatch --version' the version.\n");
}

int main(int argc, char **argv) {
    static const struct rw_cli_program rootwatch = {
        .commands = commands,
        .ncommands = sizeof commands / sizeof commands[0],
        .usage = usage,
        .simd = rw_skip_impl,
        .version_note = "",
        .unknown_note = "",
    };
    return rw_cli_main(&rootwatch, argc, argv);
}
