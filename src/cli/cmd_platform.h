/*
 * cmd_platform.h - the CLI's platform subcommands (server and clients).
 * Each takes the subcommand's argv (argv[0] is its name), answers --help,
 * and returns the process exit status; errors are one "error: ..." line.
 */
#ifndef CLAVE_CLI_CMD_PLATFORM_H
#define CLAVE_CLI_CMD_PLATFORM_H

int clave_cmd_serve(int argc, char **argv);
int clave_cmd_task_child(int argc, char **argv);
int clave_cmd_login(int argc, char **argv);
int clave_cmd_user(int argc, char **argv);
int clave_cmd_function(int argc, char **argv);
int clave_cmd_file(int argc, char **argv);
int clave_cmd_task(int argc, char **argv);
int clave_cmd_audit(int argc, char **argv);
int clave_cmd_encrypt(int argc, char **argv);
int clave_cmd_decrypt(int argc, char **argv);

#endif
