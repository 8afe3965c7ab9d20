/*
 * cmd_platform.h - the CLI's platform subcommands (server and clients).
 * Each takes the subcommand's argv (argv[0] is its name) and returns the
 * process exit status.
 */
#ifndef CLAVE_CLI_CMD_PLATFORM_H
#define CLAVE_CLI_CMD_PLATFORM_H

int cmd_serve(int argc, char **argv);
int cmd_task_child(int argc, char **argv);
int cmd_login(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_function(int argc, char **argv);
int cmd_file(int argc, char **argv);
int cmd_task(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_encrypt(int argc, char **argv);
int cmd_decrypt(int argc, char **argv);

#endif
