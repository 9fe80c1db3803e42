/*
 * libFuzzer target: C2SP checkpoints (signed notes), on arbitrary bytes. A note is
 * parsed (mcr_checkpoint_parse) and its signature lines checked with an Ed25519 and a
 * P-256 log key (mcr_checkpoint_verify). The first three lines of an accepted note
 * must be exactly what the log writes for its origin, size and root; and the same
 * checkpoint signed again by each key (mcr_checkpoint_sign through a file signer) must
 * parse to the same values and verify with that key alone.
 */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "checkpoint.h"
#include "error.h"
#include "fuzz_support.h"
#include "key.h"
#include "signer.h"

static const char *const key_files[] = {"ed25519.pem", "ecdsa-p256.pem"};

static struct mcr_signer *signers[2];

static void open_signers(void)
{
	char path[FUZZ_PATH_MAX];

	for (int i = 0; i < 2; i++) {
		fuzz_vector_path(path, key_files[i]);
		if (mcr_signer_open_pem(&signers[i], path) < 0) {
			fprintf(stderr, "fuzz: %s\n", mcr_error_message());
			abort();
		}
	}
}

/* The text the log signs: origin, size, base64 root, one per line. */
static void check_text(const struct mcr_checkpoint *cp)
{
	struct mcr_buf want = MCR_BUF_INIT, root = MCR_BUF_INIT;

	FUZZ_CHECK(mcr_base64_encode(&root, cp->root, sizeof(cp->root), false) == 0);
	FUZZ_CHECK(mcr_buf_addf(&want, "%s\n%lld\n%s\n", cp->origin, cp->size, (char *)root.data) ==
	           0);
	FUZZ_CHECK(!strncmp(cp->text, (char *)want.data, want.len));
	mcr_buf_release(&want);
	mcr_buf_release(&root);
}

static void sign_round_trip(const struct mcr_checkpoint *cp)
{
	for (int i = 0; i < 2; i++) {
		const struct mcr_key *key = mcr_signer_key(signers[i]);
		struct mcr_buf note = MCR_BUF_INIT;
		struct mcr_checkpoint again;

		FUZZ_CHECK(mcr_checkpoint_sign(signers[i], cp->origin, cp->size, cp->root, &note) ==
		           0);
		FUZZ_CHECK(mcr_checkpoint_parse(&again, (char *)note.data, note.len, "again") == 0);
		FUZZ_CHECK(!strcmp(again.origin, cp->origin) && again.size == cp->size &&
		           !memcmp(again.root, cp->root, sizeof(cp->root)) && again.sig_count == 1);
		FUZZ_CHECK(mcr_checkpoint_verify(&again, key, cp->origin, "again") == 0);
		FUZZ_CHECK(mcr_checkpoint_verify(&again, mcr_signer_key(signers[1 - i]), NULL,
		                                 "again") == MCR_EREFUSED);
		mcr_checkpoint_release(&again);
		mcr_buf_release(&note);
	}
	mcr_error_clear();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mcr_checkpoint cp;
	int ret;

	if (!signers[0])
		open_signers();
	if (mcr_checkpoint_parse(&cp, (const char *)data, size, "fuzz") < 0)
		return 0;
	FUZZ_CHECK(strlen(cp.note) == size && !memcmp(cp.note, data, size));
	FUZZ_CHECK(cp.sig_count > 0 && cp.size >= 0 && cp.origin[0]);
	check_text(&cp);
	for (int i = 0; i < 2; i++) {
		ret = mcr_checkpoint_verify(&cp, mcr_signer_key(signers[i]), NULL, "fuzz");
		FUZZ_CHECK(ret == 0 || ret == MCR_EREFUSED);
	}
	/* a log's own origin: what mcr_checkpoint_origin lets through */
	if (!strpbrk(cp.origin, " \t\r\n+"))
		sign_round_trip(&cp);
	mcr_checkpoint_release(&cp);
	mcr_error_clear();
	return 0;
}
