/* The commands: one src/cli/cmd_NAME.c each. */
#ifndef RW_COMMANDS_H
#define RW_COMMANDS_H

int rw_cmd_scan(int argc, char **argv);
int rw_cmd_test_pattern(int argc, char **argv);
int rw_cmd_test_filter(int argc, char **argv);
int rw_cmd_rules(int argc, char **argv);
int rw_cmd_aws(int argc, char **argv);
int rw_cmd_notify(int argc, char **argv);
int rw_cmd_alerts(int argc, char **argv);
int rw_cmd_lambda(int argc, char **argv);
int rw_cmd_package(int argc, char **argv);
int rw_cmd_audit(int argc, char **argv);
int rw_cmd_deploy(int argc, char **argv);
int rw_cmd_watch(int argc, char **argv);
int rw_cmd_iam_policy(int argc, char **argv);

#endif
