/* A build's environment and tools: its exact variables, their digest, the programs it may run. */
#ifndef MCR_BUILDENV_H
#define MCR_BUILDENV_H

struct mcr_buildrec;
struct mcr_buildrun;
struct mcr_buildrun_spec;

/* The default PATH of a build whose config does not pass ours through. */
#define MCR_BUILDENV_DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"

/* What the build command is run with. Owned; release with mcr_buildenv_release. */
struct mcr_buildenv {
	char **entries;	     /* "NAME=value", NULL-terminated: the child's whole environment */
	char **argv;	     /* the command, argv[0] as the child runs it (see mcr_buildenv_make) */
	char *program;	     /* argv[0] resolved: the file that will run */
	const char *path;    /* the PATH in entries, borrowed from them */
};

void mcr_buildenv_init(struct mcr_buildenv *env);
void mcr_buildenv_release(struct mcr_buildenv *env);

/*
 * The environment of spec->command in run: PATH, HOME=run->home,
 * SOURCE_DATE_EPOCH=run->commit_time, TZ=UTC, LC_ALL=C, then each
 * spec->env_pass name we have a value for. A relative program path with a
 * '/' ("./build.sh") names a file in the checkout and is run by its absolute
 * path; a bare name is looked up in the build's PATH. MCR_EINPUT for an
 * env_pass name that is malformed or one of those mcurelease sets; MCR_ESYS
 * naming the program when it is not found.
 */
int mcr_buildenv_make(struct mcr_buildenv *env, const struct mcr_buildrun *run,
		      const struct mcr_buildrun_spec *spec);

/*
 * Fills rec's commit_time, source_date_epoch, command (as given), environment
 * (SHA-256 of the canonical JSON object of env's variables, and their names;
 * never the values, which may be secrets) and tools: the program (path
 * relative to the checkout when it is in it; never asked for --version, it
 * may be the build itself), then each of cc, c++, make, cmake, ninja and
 * arm-none-eabi-gcc found in the build's PATH, with the first line of its
 * --version.
 */
int mcr_buildenv_record(struct mcr_buildrec *rec, const struct mcr_buildenv *env,
			const struct mcr_buildrun *run, const struct mcr_buildrun_spec *spec);

#endif
