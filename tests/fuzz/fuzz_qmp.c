// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the QMP server's message handling, bytes in and replies
 * out, with no socket and no thread (qmp_client_feed). The input is split
 * into reads where it has 0x01 bytes, as a client's writes may split it
 * anywhere. Whatever comes in, every reply is one line of valid JSON, an
 * object with exactly one of "return", "error" or "event" (or the greeting),
 * nothing crashes or leaks, and the server never waits for a boot: the run
 * is over, so a monitor command answers at once.
 */
#include "../../vmm/control.h"
#include "../../vmm/qmp.h"

#include <assert.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_replies(struct qmp_client *cl)
{
	size_t at = 0;

	while (at < cl->out_len) {
		char *nl = memchr(cl->out + at, '\n', cl->out_len - at);
		size_t len;
		json_error_t jerr;
		json_t *msg;

		assert(nl && nl > cl->out + at && nl[-1] == '\r');
		len = (size_t)(nl - (cl->out + at)) - 1;
		msg = json_loadb(cl->out + at, len, 0, &jerr);
		assert(msg && json_is_object(msg));
		assert(!!json_object_get(msg, "return") + !!json_object_get(msg, "error") +
		       !!json_object_get(msg, "event") + !!json_object_get(msg, "QMP") == 1);
		json_decref(msg);
		at += len + 2;
	}
	cl->out_len = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct control ctl;
	static bool ready;
	struct qmp_server s;
	struct qmp_client *cl;
	size_t start = 0, i;

	if (!ready) {
		control_init(&ctl, 2);
		control_finish(&ctl);	/* no boot will come: nothing may wait for one */
		ready = true;
	}
	qmp_server_init_detached(&s, &ctl);
	cl = qmp_client_open_detached(&s);
	assert(cl);
	check_replies(cl);
	for (i = 0; i <= size && cl->fd != -1; i++) {
		if (i < size && data[i] != 0x01)
			continue;
		qmp_client_feed(&s, cl, data + start, i - start);
		check_replies(cl);
		start = i + 1;
	}
	qmp_client_close(cl);
	return 0;
}
