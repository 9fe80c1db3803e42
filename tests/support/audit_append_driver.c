/* Test driver: appends N audit events through libmcr, printing each seq once its commit returned.
 */
#include "audit.h"
#include "error.h"
#include "json.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * usage: audit_append_driver DB COUNT [KIND [TAG]]
 * Each event's data is {"n": i, "pid": PID} (+ "tag" when TAG is given).
 * A line "SEQ\n" is written and flushed after each append returned success,
 * so a test that kills this process knows which appends were reported done.
 */
int main(int argc, char **argv)
{
	struct mcr_audit *log = NULL;
	struct mcr_audit_entry entry;
	long count = argc > 2 ? strtol(argv[2], NULL, 10) : 0;
	const char *kind = argc > 3 ? argv[3] : "sign.requested";
	int ret = 0;

	if (argc < 3 || count < 0) {
		fprintf(stderr, "usage: audit_append_driver DB COUNT [KIND [TAG]]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	if ((ret = mcr_audit_open(&log, argv[1], true)) < 0)
		goto out;
	for (long i = 0; i < count && ret == 0; i++) {
		cJSON *data = cJSON_CreateObject();

		if (!data || mcr_json_add_int(data, "n", i) < 0 ||
		    mcr_json_add_int(data, "pid", (long long)getpid()) < 0 ||
		    (argc > 4 && mcr_json_add_string(data, "tag", argv[4]) < 0))
			ret = mcr_error(MCR_ESYS, "out of memory");
		if (ret == 0 &&
		    (ret = mcr_audit_append(log, kind, "driver@test", data, &entry)) == 0)
			printf("%lld\n", entry.seq);
		cJSON_Delete(data);
	}
out:
	if (ret < 0)
		fprintf(stderr, "audit_append_driver: %s\n", mcr_error_message());
	mcr_audit_free(log);
	return mcr_error_exit_status(ret);
}
