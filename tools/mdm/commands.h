/* The subcommands of mdm; each returns the process exit status. */
#ifndef MDM_CLI_COMMANDS_H
#define MDM_CLI_COMMANDS_H
int cmd_generate(int argc, char **argv);
int cmd_caption(int argc, char **argv);
int cmd_vqa(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_devices(int argc, char **argv);
#endif
