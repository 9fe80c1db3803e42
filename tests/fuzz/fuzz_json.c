/*
 * libFuzzer target: the JSON helpers every reader above sits on (src/json.c), on
 * arbitrary bytes: mcr_json_parse, the typed getters and key check on whatever it
 * gives, mcr_json_canonical (the bytes that get hashed and signed) and mcr_json_pretty
 * (what files hold). The canonical form must be a fixed point, and a pretty-printed
 * document must parse back to the same canonical bytes.
 */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "fuzz_support.h"
#include "json.h"

static void getters(const cJSON *root)
{
	static const char *const keys[] = {"format", "type", "seq", "records", NULL};
	const cJSON *child, *item;
	const char *text;
	long long number;
	bool flag;

	mcr_json_check_keys(root, keys, "fuzz");
	cJSON_ArrayForEach(child, root)
	{
		const char *key = child->string ? child->string : "";
		/* of two equal keys, the getters see the first */
		const cJSON *first = cJSON_GetObjectItemCaseSensitive(root, key);

		if (mcr_json_get_string(&text, root, key, true, "fuzz") == 0)
			FUZZ_CHECK(text && cJSON_IsString(first));
		if (mcr_json_get_int(&number, root, key, true, -1000, 1LL << 53, "fuzz") == 0)
			FUZZ_CHECK(cJSON_IsNumber(first) && number >= -1000 &&
			           number <= 1LL << 53 && (double)number == first->valuedouble);
		if (mcr_json_get_bool(&flag, root, key, true, "fuzz") == 0)
			FUZZ_CHECK(cJSON_IsBool(first));
		mcr_json_get_object(&item, root, key, false, "fuzz");
		mcr_json_get_array(&item, root, key, false, "fuzz");
	}
}

static void same_canonical(const struct mcr_buf *text, const struct mcr_buf *want)
{
	struct mcr_buf canon = MCR_BUF_INIT;
	cJSON *again = NULL;

	FUZZ_CHECK(mcr_json_parse(&again, (char *)text->data, text->len, "again") == 0);
	FUZZ_CHECK(mcr_json_canonical(&canon, again) == 0);
	FUZZ_CHECK(fuzz_same(canon.data, canon.len, want->data, want->len));
	cJSON_Delete(again);
	mcr_buf_release(&canon);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mcr_buf canon = MCR_BUF_INIT, pretty = MCR_BUF_INIT;
	cJSON *root = NULL, *again = NULL;

	if (mcr_json_parse(&root, (const char *)data, size, "fuzz") < 0)
		return 0;
	if (cJSON_IsObject(root))
		getters(root);
	FUZZ_CHECK(mcr_json_pretty(&pretty, root) == 0);
	if (mcr_json_canonical(&canon, root) == 0) {
		same_canonical(&canon, &canon);
		same_canonical(&pretty, &canon);
	} else {
		/* no canonical form (a fraction, a duplicate key): the pretty text still reads */
		FUZZ_CHECK(mcr_json_parse(&again, (char *)pretty.data, pretty.len, "again") == 0);
	}
	cJSON_Delete(again);
	cJSON_Delete(root);
	mcr_buf_release(&canon);
	mcr_buf_release(&pretty);
	mcr_error_clear();
	return 0;
}
