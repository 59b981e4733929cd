// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: any text given as --accel script:FILE is loaded or
 * refused with one line naming the reason, never a crash, an overrun or a
 * leak; and a refusal says so the same way every time (the loader keeps no
 * state from one load to the next).
 */
#include "../../vmm/script/script.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ERR_LEN 256

static void check_err(int r, const char *err)
{
	assert(r == 0 || r == -1);
	if (r) {
		assert(memchr(err, '\0', ERR_LEN));
		assert(err[0] && !strchr(err, '\n'));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* exactly sized, so ASan sees a write past either buffer */
	char *text = malloc(size + 1), *err = malloc(ERR_LEN), *again = malloc(ERR_LEN);
	int r, r2;

	if (!text || !err || !again)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	err[0] = again[0] = '\0';
	r = script_load(text, err, ERR_LEN);
	check_err(r, err);
	r2 = script_load(text, again, ERR_LEN);
	check_err(r2, again);
	assert(r == r2);
	if (r)
		assert(!strcmp(err, again));
	/* the input is the caller's: the loader works on its own copy */
	assert(!memcmp(text, data, size) && !text[size]);
	free(again);
	free(err);
	free(text);
	return 0;
}
