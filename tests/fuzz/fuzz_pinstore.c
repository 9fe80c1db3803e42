/*
 * libFuzzer target: the tag pin store (mcr_pinstore_check), on arbitrary bytes written
 * as the store file. A tag is checked against it; when the store lets it through, it
 * is pinned (the file rewritten), and from then on the store must know it: the same
 * tag passes without being pinned again, the name re-pointed at another tag object is
 * tag.moved, and (when it was pinned just now) its version under another name is
 * tag.version_reused.
 */
#include <stdint.h>
#include <string.h>

#include "error.h"
#include "fuzz_support.h"
#include "pinstore.h"

static const struct mcr_pin pin = {"v9.9.9", "1111111111111111111111111111111111111111",
                                   "2222222222222222222222222222222222222222", "9.9.9+0"};
static const struct mcr_pin moved = {"v9.9.9", "3333333333333333333333333333333333333333",
                                     "2222222222222222222222222222222222222222", "9.9.9+0"};
static const struct mcr_pin renamed = {"v9.9.9-again", "4444444444444444444444444444444444444444",
                                       "2222222222222222222222222222222222222222", "9.9.9+0"};

static void expect_refusal(const char *path, const struct mcr_pin *p, const char *reason)
{
	bool newly_pinned = true;

	FUZZ_CHECK(mcr_pinstore_check(&newly_pinned, path, p, true) == MCR_EREFUSED);
	FUZZ_CHECK(!strcmp(mcr_error_reason(), reason) && !newly_pinned);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[FUZZ_PATH_MAX];
	bool newly_pinned = true;
	int ret;

	FUZZ_CHECK(fuzz_write_file(path, "pins.json", data, size) == 0);
	ret = mcr_pinstore_check(&newly_pinned, path, &pin, false);
	FUZZ_CHECK(ret == 0 || ret == MCR_EREFUSED || ret == MCR_EINPUT);
	FUZZ_CHECK(!newly_pinned);
	if (ret == 0) {
		bool was_new;

		FUZZ_CHECK(mcr_pinstore_check(&was_new, path, &pin, true) == 0);
		FUZZ_CHECK(mcr_pinstore_check(&newly_pinned, path, &pin, true) == 0 &&
		           !newly_pinned);
		expect_refusal(path, &moved, "tag.moved");
		/* a name the store knew already keeps the version it was pinned with */
		if (was_new)
			expect_refusal(path, &renamed, "tag.version_reused");
	}
	mcr_error_clear();
	return 0;
}
