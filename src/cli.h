/* Command tables, option tables that drive both parsing and --help, and the command entry points. */
#ifndef MCR_CLI_H
#define MCR_CLI_H

#include <stdbool.h>
#include <stddef.h>

/* A row of a command table: main.c's and the nested ones (imgtool, audit, ...). */
struct mcr_command {
	const char *name;
	int (*run)(int argc, char **argv); /* argv[0] is name */
	const char *summary;
	const char *needs; /* what must be set up first, for --help: "config, audit log" */
};

/* Option ids start here so that they never collide with short option letters. */
#define MCR_OPT_FIRST 256

/* One option; a table ends with an entry whose id is 0. */
struct mcr_option {
	const char *long_name;
	char short_name;      /* 0: none */
	const char *arg_name; /* NULL: the option takes no value */
	const char *help;
	int id;		      /* >= MCR_OPT_FIRST, passed to the handler */
	bool two_values;      /* takes a second value from the next argument (imgtool's --custom-tlv TAG VALUE) */
};

/* What a command accepts; drives mcr_cli_parse and the --help text. */
struct mcr_cli_spec {
	const char *command;	 /* "imgtool sign" */
	const char *synopsis;	 /* "[options] INFILE OUTFILE" */
	const char *description; /* a paragraph or two */
	const struct mcr_option *options;
	int min_args;
	int max_args; /* -1: unlimited */
};

/*
 * Called once per option in command-line order. arg is the value or NULL;
 * arg2 the second value of a two-value option, else NULL. Returns 0, or an
 * error code (a bad value is MCR_EUSAGE naming the option).
 */
typedef int (*mcr_cli_handler)(void *ctx, int id, const char *arg, const char *arg2);

/*
 * Parses argv (argv[0] is the command word) against spec. Options may come
 * before or after positional arguments; "--" ends the options. On success
 * *first_arg indexes the first positional argument. Returns 0, 1 if --help
 * was printed (the command should then return 0), or MCR_EUSAGE.
 */
int mcr_cli_parse(const struct mcr_cli_spec *spec, int argc, char **argv, mcr_cli_handler handler,
		  void *ctx, int *first_arg);

/* Prints spec's help to stdout. */
void mcr_cli_print_help(const struct mcr_cli_spec *spec);

/*
 * Runs the command of table named argv[1] with (argc - 1, argv + 1). With no
 * command, "help" or --help, prints the table. context names the level
 * ("mcurelease", "imgtool") in messages.
 */
int mcr_cli_dispatch(const char *context, const struct mcr_command *table, int argc, char **argv);

/* Parses a number the way imgtool does: decimal, 0x, 0o or 0b prefixes. MCR_EUSAGE naming option. */
int mcr_cli_parse_number(unsigned long long *out, const char *text, unsigned long long max,
			 const char *option);

/* Verbosity set by the top-level -q/-v: -1 quiet, 0 normal, 1 verbose. */
int mcr_cli_verbosity(void);
void mcr_cli_set_verbosity(int level);

/* "mcurelease: warning: ..." on stderr (suppressed by -q). */
void mcr_cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A progress note on stderr, shown only with -v. */
void mcr_cli_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The program version string. */
const char *mcr_cli_version(void);

/* The command entry points (src/cmd_*.c), for main.c's table. */
int mcr_cmd_imgtool(int argc, char **argv);
int mcr_cmd_signer(int argc, char **argv);
int mcr_cmd_config(int argc, char **argv);
int mcr_cmd_sign(int argc, char **argv);
int mcr_cmd_request(int argc, char **argv);
int mcr_cmd_assemble(int argc, char **argv);
int mcr_cmd_serve(int argc, char **argv);
int mcr_cmd_image(int argc, char **argv);
int mcr_cmd_tag(int argc, char **argv);
int mcr_cmd_build(int argc, char **argv);
int mcr_cmd_records(int argc, char **argv);
int mcr_cmd_audit(int argc, char **argv);
int mcr_cmd_verify(int argc, char **argv);

#endif
