/* Firmware fixtures: a real small C project in a git repository, builder keys, a config for 'build'. */
#include "fwfix.h"

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "testutil.h"

/* A "firmware" main: its banner carries the build date (from SOURCE_DATE_EPOCH) and file name. */
static const char main_c[] =
	"#include <stdio.h>\n"
	"\n"
	"#ifndef STAMP\n"
	"#define STAMP \"\"\n"
	"#endif\n"
	"\n"
	"static const char banner[] = \"acme-sensor built \" __DATE__ \" \" __TIME__ \" from \" __FILE__ STAMP;\n"
	"\n"
	"int main(void)\n"
	"{\n"
	"\tputs(banner);\n"
	"\treturn 0;\n"
	"}\n";

/* The image is 0x200 zero bytes (room for the MCUboot header) followed by the program. */
static const char makefile_tail[] =
	"all: build/fw.bin\n"
	"build/fw.elf: main.c\n"
	"\tmkdir -p build\n"
	"\t$(CC) $(CFLAGS) -o $@ $(CURDIR)/main.c\n"
	"build/fw.bin: build/fw.elf\n"
	"\thead -c 512 /dev/zero > $@.tmp\n"
	"\tcat build/fw.elf >> $@.tmp\n"
	"\tmv $@.tmp $@\n";

/* Without the prefix map the debug info and __FILE__ carry the build directory; STAMP the time. */
static const char *const cflags[] = {
	[MCR_FWFIX_REPRODUCIBLE] = "CFLAGS = -O2 -g -ffile-prefix-map=$(CURDIR)=.\n",
	[MCR_FWFIX_NOT_REPRODUCIBLE] =
		"CFLAGS = -O2 -g -DSTAMP='\" at $(shell date +%s%N)\"'\n",
};

const char *mcr_fwfix_write_config(struct mcr_fwfix *fx)
{
	struct mcr_buf text = MCR_BUF_INIT;

	mcr_buf_addf(&text, "{\n  \"product\": \"fw-test\",\n  \"image\": {\"slot_size\": \"0x20000\"},\n");
	mcr_buf_addf(&text, "  \"policy\": {\n    \"tag\": {\"ssh_allowed_signers\": \"%s\"},\n",
		     fx->git.allowed_signers);
	mcr_buf_addf(&text, "    \"builders\": {\"quorum\": %u, \"allowed_signers\": \"%s\"}\n  },\n",
		     fx->quorum, fx->builders_allowed);
	mcr_buf_addf(&text, "  \"build\": {\n    \"command\": [\"make\"],\n"
		     "    \"artifacts\": [\"build/fw.bin\", \"build/fw.elf\"],\n"
		     "    \"work_dir\": \"%s\"%s%s\n  }\n}\n", fx->work_dir,
		     fx->extra_build ? ",\n    " : "", fx->extra_build ? fx->extra_build : "");
	snprintf(fx->git.config, sizeof(fx->git.config), "%s/mcurelease.json", fx->git.dir);
	mcr_test_write(fx->git.config, text.data, text.len);
	mcr_buf_release(&text);
	return fx->git.config;
}

void mcr_fwfix_setup(struct mcr_fwfix *fx, enum mcr_fwfix_kind kind, const char *tag)
{
	static const char *const names[MCR_FWFIX_BUILDERS] = {"builder-a", "builder-b", "builder-c"};
	struct mcr_buf makefile = MCR_BUF_INIT;

	memset(fx, 0, sizeof(*fx));
	mcr_gitfix_setup(&fx->git);
	mcr_test_write(mcr_test_path("%s/main.c", fx->git.repo), main_c, strlen(main_c));
	mcr_buf_add_str(&makefile, cflags[kind]);
	mcr_buf_add_str(&makefile, makefile_tail);
	mcr_test_write(mcr_test_path("%s/Makefile", fx->git.repo), makefile.data, makefile.len);
	mcr_buf_release(&makefile);
	mcr_gitfix_sh_line(fx->git.head, sizeof(fx->git.head), &fx->git,
			   "printf 'build/\\n' > .gitignore && git add main.c Makefile .gitignore && "
			   "git commit -q -m firmware && git rev-parse HEAD");
	mcr_gitfix_git_tag(&fx->git, tag, MCR_GITFIX_SSH, NULL);
	snprintf(fx->builders_allowed, sizeof(fx->builders_allowed), "%s/builders_allowed",
		 fx->git.dir);
	for (int i = 0; i < MCR_FWFIX_BUILDERS; i++) {
		mcr_gitfix_ssh_key(&fx->builders[i], &fx->git, names[i]);
		if (i < 2)
			mcr_gitfix_allow_ssh(fx->builders_allowed, &fx->builders[i],
					     "namespaces=\"mcurelease-build\"");
	}
	snprintf(fx->work_dir, sizeof(fx->work_dir), "%s/work", fx->git.dir);
	snprintf(fx->records, sizeof(fx->records), "%s/records", fx->git.dir);
	mcr_test_sh_ok("mkdir -p '%s'", fx->records);
	fx->quorum = 1;
	mcr_fwfix_write_config(fx);
}

const char *mcr_fwfix_record(struct mcr_fwfix *fx, const char *name)
{
	return mcr_test_path("%s/%s", fx->records, name);
}

int mcr_fwfix_build(struct mcr_fwfix *fx, struct mcr_test_result *r, int builder,
		    const char *tag, const char *out_name, ...)
{
	const char *argv[40] = {MCR_TEST_BINARY, "build", "--config", fx->git.config, "--repo",
				fx->git.repo, "--builder", fx->builders[builder].principal, "--key",
				fx->builders[builder].key, "-o", mcr_fwfix_record(fx, out_name),
				"--tag", tag};
	struct mcr_test_result local;
	int argc = 14, status;
	va_list ap;

	va_start(ap, out_name);
	while (argc < 38 && (argv[argc] = va_arg(ap, const char *)))
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	mcr_test_exec(r ? r : &local, argv, NULL);
	status = (r ? r : &local)->status;
	if (!r)
		mcr_test_result_release(&local);
	return status;
}
