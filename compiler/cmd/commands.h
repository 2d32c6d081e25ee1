/* commands - the pfc subcommands; each takes argv with argv[0] = its name */
#ifndef PFC_COMMANDS_H
#define PFC_COMMANDS_H

int cmd_conf(int argc, char **argv);
int cmd_map(int argc, char **argv);
int cmd_alias(int argc, char **argv);
int cmd_newaliases(int argc, char **argv);
int cmd_lookup(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_build(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_test(int argc, char **argv);
int cmd_queue(int argc, char **argv);
int cmd_sendmail(int argc, char **argv);

#endif
