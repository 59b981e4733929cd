// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: a QMP peer that sends anything. The client attaches and
 * runs two commands against it over a socketpair; it must end each with a
 * reply or a one-line reason, bounded, and never crash or leak.
 */
#include "../../vmm/qemu/qmpc.h"
#include "../../vmm/util.h"

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qmpc c;
	char err[256] = "";
	json_t *ret, *ev;
	int sv[2];

	if (size > 60000 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return 0;
	if (write(sv[1], data, size) != (ssize_t)size) {
		close(sv[0]);
		close(sv[1]);
		return 0;
	}
	close(sv[1]);	/* EOF after the input: every wait ends */
	qmpc_init(&c, sv[0]);
	if (!qmpc_attach(&c, now_ns() + 1000000000ull, err, sizeof(err))) {
		ret = qmpc_command(&c, "query-status", NULL, now_ns() + 1000000000ull, err,
				   sizeof(err));
		json_decref(ret);
		ret = qmpc_command(&c, "cont", NULL, now_ns() + 1000000000ull, err, sizeof(err));
		json_decref(ret);
	}
	while ((ev = qmpc_event_pop(&c)))
		json_decref(ev);
	if (!memchr(err, '\0', sizeof(err)) || strchr(err, '\n'))
		__builtin_trap();
	qmpc_close(&c);
	return 0;
}
