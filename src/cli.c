/* Table-driven command dispatch and option parsing (getopt_long under the hood). */
#include "cli.h"

#include "error.h"

#include <assert.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HELP_ID (-1000)
#define MAX_OPTIONS 96

#ifndef MCR_VERSION
#define MCR_VERSION "unknown"
#endif

static int verbosity;

int mcr_cli_verbosity(void)
{
	return verbosity;
}

void mcr_cli_set_verbosity(int level)
{
	verbosity = level;
}

const char *mcr_cli_version(void)
{
	return MCR_VERSION;
}

void mcr_cli_warn(const char *fmt, ...)
{
	va_list ap;

	if (verbosity < 0)
		return;
	fputs("mcurelease: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void mcr_cli_info(const char *fmt, ...)
{
	va_list ap;

	if (verbosity < 1)
		return;
	fputs("mcurelease: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void mcr_cli_print_help(const struct mcr_cli_spec *spec)
{
	const struct mcr_option *opt;

	printf("usage: mcurelease %s %s\n", spec->command, spec->synopsis);
	if (spec->description)
		printf("\n%s\n", spec->description);
	printf("\noptions:\n");
	for (opt = spec->options; opt && opt->id; opt++) {
		char left[64];

		snprintf(left, sizeof(left), "%s%c%s--%s%s%s", opt->short_name ? "-" : "",
			 opt->short_name ? opt->short_name : ' ', opt->short_name ? ", " : "  ",
			 opt->long_name, opt->arg_name ? " " : "",
			 opt->arg_name ? opt->arg_name : "");
		if (strlen(left) > 30) {
			printf("  %s\n  %-30s %s\n", left, "", opt->help);
			continue;
		}
		if (!opt->short_name)
			memmove(left, left + 1, strlen(left));
		printf("  %-30s %s\n", left, opt->help);
	}
	printf("  %-30s %s\n", "-h, --help", "show this help");
}

static int build_getopt_tables(const struct mcr_option *options, struct option *longopts,
			       char *shortopts)
{
	const struct mcr_option *opt;
	size_t n = 0, s = 0;

	/* '+' is not used: options may follow positional arguments, as in imgtool. */
	shortopts[s++] = ':';
	for (opt = options; opt && opt->id; opt++) {
		assert(opt->id >= MCR_OPT_FIRST); /* below that, ids collide with short options */
		if (n >= MAX_OPTIONS - 2)
			return mcr_error(MCR_ESYS, "too many options in a command table");
		longopts[n].name = opt->long_name;
		longopts[n].has_arg = opt->arg_name ? required_argument : no_argument;
		longopts[n].flag = NULL;
		longopts[n].val = opt->id;
		n++;
		if (opt->short_name) {
			shortopts[s++] = opt->short_name;
			if (opt->arg_name)
				shortopts[s++] = ':';
		}
	}
	longopts[n++] = (struct option){"help", no_argument, NULL, HELP_ID};
	longopts[n] = (struct option){NULL, 0, NULL, 0};
	shortopts[s++] = 'h';
	shortopts[s] = '\0';
	return 0;
}

static int short_to_id(const struct mcr_option *options, int c)
{
	const struct mcr_option *opt;

	for (opt = options; opt && opt->id; opt++)
		if (opt->short_name == c)
			return opt->id;
	return 0;
}

static const char *bad_option_name(char **argv, int c)
{
	static char name[3];

	if (c && c != '?' && c != ':') {
		snprintf(name, sizeof(name), "-%c", c);
		return name;
	}
	return argv[optind - 1];
}

static const struct mcr_option *option_by_id(const struct mcr_option *options, int id)
{
	for (const struct mcr_option *opt = options; opt && opt->id; opt++)
		if (opt->id == id)
			return opt;
	return NULL;
}

/* Passes one option to the handler, taking a second value from argv for two-value options. */
static int call_handler(const struct mcr_cli_spec *spec, int argc, char **argv,
			mcr_cli_handler handler, void *ctx, int id)
{
	const struct mcr_option *opt = option_by_id(spec->options, id);
	const char *arg2 = NULL;

	if (opt && opt->two_values) {
		/* getopt treats what it skips here as part of this option when it permutes argv. */
		if (optind >= argc)
			return mcr_error(MCR_EUSAGE, "option '--%s' of '%s' needs two values",
					 opt->long_name, spec->command);
		arg2 = argv[optind++];
	}
	return handler(ctx, id, optarg, arg2);
}

int mcr_cli_parse(const struct mcr_cli_spec *spec, int argc, char **argv, mcr_cli_handler handler,
		  void *ctx, int *first_arg)
{
	struct option longopts[MAX_OPTIONS];
	char shortopts[2 * MAX_OPTIONS + 4];
	int c, ret, nargs;

	if ((ret = build_getopt_tables(spec->options, longopts, shortopts)) < 0)
		return ret;
	optind = 0; /* a full re-initialisation of glibc's getopt, for nested commands */
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		int id;

		if (c == HELP_ID || c == 'h') {
			mcr_cli_print_help(spec);
			return 1;
		}
		if (c == '?')
			return mcr_error(MCR_EUSAGE, "unknown option '%s' for '%s'",
					 bad_option_name(argv, optopt), spec->command);
		if (c == ':')
			return mcr_error(MCR_EUSAGE, "option '%s' of '%s' needs a value",
					 bad_option_name(argv, optopt), spec->command);
		id = c > 255 ? c : short_to_id(spec->options, c);
		if ((ret = call_handler(spec, argc, argv, handler, ctx, id)) < 0)
			return ret;
	}
	nargs = argc - optind;
	if (nargs < spec->min_args || (spec->max_args >= 0 && nargs > spec->max_args))
		return mcr_error(MCR_EUSAGE, "'%s' expects %s (see 'mcurelease %s --help')",
				 spec->command, spec->synopsis, spec->command);
	*first_arg = optind;
	return 0;
}

static void print_table(const char *context, const struct mcr_command *table)
{
	const struct mcr_command *cmd;

	if (!strcmp(context, "mcurelease"))
		printf("usage: mcurelease [-q | -v] <command> [options]\n\ncommands:\n");
	else
		printf("usage: mcurelease %s <command> [options]\n\ncommands:\n", context);
	for (cmd = table; cmd->name; cmd++)
		printf("  %-14s %s%s%s%s\n", cmd->name, cmd->summary, cmd->needs ? " (needs " : "",
		       cmd->needs ? cmd->needs : "", cmd->needs ? ")" : "");
	printf("\nRun 'mcurelease %s%s<command> --help' for a command's options.\n",
	       strcmp(context, "mcurelease") ? context : "", strcmp(context, "mcurelease") ? " " : "");
}

int mcr_cli_dispatch(const char *context, const struct mcr_command *table, int argc, char **argv)
{
	const struct mcr_command *cmd;
	const char *name = argc > 1 ? argv[1] : NULL;

	if (!name || !strcmp(name, "help") || !strcmp(name, "--help") || !strcmp(name, "-h")) {
		print_table(context, table);
		return name ? 0 : mcr_error(MCR_EUSAGE, "'%s' needs a command", context);
	}
	for (cmd = table; cmd->name; cmd++)
		if (!strcmp(cmd->name, name))
			return cmd->run(argc - 1, argv + 1);
	return mcr_error(MCR_EUSAGE, "unknown command '%s' for '%s' (see 'mcurelease %s%s--help')",
			 name, context, strcmp(context, "mcurelease") ? context : "",
			 strcmp(context, "mcurelease") ? " " : "");
}

int mcr_cli_parse_number(unsigned long long *out, const char *text, unsigned long long max,
			 const char *option)
{
	const char *digits = text;
	int base = 10;
	char *end;
	unsigned long long value;

	if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
		base = 16, digits = text + 2;
	else if (text[0] == '0' && (text[1] == 'o' || text[1] == 'O'))
		base = 8, digits = text + 2;
	else if (text[0] == '0' && (text[1] == 'b' || text[1] == 'B'))
		base = 2, digits = text + 2;
	if (!*digits || *digits == '-' || *digits == '+' || *digits == ' ')
		return mcr_error(MCR_EUSAGE, "bad number '%s' for option '%s'", text, option);
	errno = 0;
	value = strtoull(digits, &end, base);
	if (*end || errno)
		return mcr_error(MCR_EUSAGE, "bad number '%s' for option '%s'", text, option);
	if (value > max)
		return mcr_error(MCR_EUSAGE, "number '%s' for option '%s' is larger than %#llx",
				 text, option, max);
	*out = value;
	return 0;
}
