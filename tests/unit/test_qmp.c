// SPDX-License-Identifier: GPL-2.0-only
/*
 * Proves the QMP server's message handling without a socket or a thread:
 * every whole line gets its reply as soon as it is in (invalid UTF-8 that
 * ends a line included), and a monitor command over vCPUs that never answer
 * is bounded as a whole, inside the 1 s a boot's teardown waits for it, so
 * it can never hold a VM past its boot. A command with no boot to come
 * answers at once.
 */
#include "../../vmm/control.h"
#include "../../vmm/devices/platform.h"
#include "../../vmm/qmp.h"
#include "../../vmm/script/script.h"
#include "../../vmm/util.h"
#include "../../vmm/vcpu.h"
#include "../../vmm/vm.h"
#include "unit.h"

#include <pthread.h>
#include <string.h>

/* The replies so far (CRLF-separated JSON), taken out of the client. */
static unsigned int take_replies(struct qmp_client *cl, char *buf, size_t len)
{
	unsigned int lines = 0;
	size_t i, n = cl->out_len < len - 1 ? cl->out_len : len - 1;

	memcpy(buf, cl->out, n);
	buf[n] = '\0';
	for (i = 0; i < n; i++)
		lines += buf[i] == '\n';
	cl->out_len = 0;
	return lines;
}

static void test_lines_answered_at_once(void)
{
	static const char *const bad[] = {
		"\xff\n",
		"{\"execute\":\"query-status\",\"id\":\"\xc3\"}\n",
		"\"\xe2\x82\"\r\n",
		"{nonsense\n",
	};
	struct control ctl;
	struct qmp_server s;
	struct qmp_client *cl;
	char out[4096];
	unsigned int i;

	control_init(&ctl, 2);
	qmp_server_init_detached(&s, &ctl);
	cl = qmp_client_open_detached(&s);
	TEST_ASSERT(cl && take_replies(cl, out, sizeof(out)) == 1 && strstr(out, "\"QMP\""),
		    "greeting: %s", out);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		TEST_ASSERT(qmp_client_feed(&s, cl, bad[i], strlen(bad[i])), "client kept");
		TEST_ASSERT(take_replies(cl, out, sizeof(out)) == 1 &&
			    strstr(out, "JSON parse error"), "case %u: reply at once: '%s'", i, out);
	}
	/* a character split across two reads is still one message */
	qmp_client_feed(&s, cl, "{\"execute\":\"qmp_capabilities\",\"id\":\"\xc3", 37);
	TEST_ASSERT(take_replies(cl, out, sizeof(out)) == 0, "no reply to half a character");
	qmp_client_feed(&s, cl, "\xa9\"}\n", 4);
	TEST_ASSERT(take_replies(cl, out, sizeof(out)) == 1 && strstr(out, "\"return\""),
		    "the whole message answered: %s", out);
	qmp_client_close(cl);
	control_destroy(&ctl);
}

struct detach_arg {
	struct control *ctl;
	bool released;
};

/* What boot.c does at teardown: wait 1 s for monitor commands to let go. */
static void *teardown(void *arg)
{
	struct detach_arg *d = arg;
	struct timespec ts = { .tv_nsec = 20000000 };

	nanosleep(&ts, NULL);	/* let the command start first; its bound is what is tested */
	d->released = control_detach(d->ctl, now_ns() + 1000000000ull);
	return NULL;
}

static enum vcpu_action no_exit(void *ctx, struct vcpu *vcpu, struct vcpu_exit *exit)
{
	return VCPU_CONTINUE;
}

static void no_fail(void *ctx, struct vcpu *vcpu, int err)
{
}

static void test_command_bounded_as_a_whole(void)
{
	static const char cmd[] = "{\"execute\":\"qmp_capabilities\"}\n"
				  "{\"execute\":\"human-monitor-command\",\"arguments\":"
				  "{\"command-line\":\"info registers -a\"}}\n";
	static const struct vcpu_hooks hooks = { .handle_exit = no_exit, .run_failed = no_fail };
	struct vm vm = { .ops = &script_accel_ops };
	struct detach_arg d;
	struct vcpu_group g;
	struct control ctl;
	struct platform *plat = xzalloc(sizeof(*plat));	/* attach only stores it */
	struct qmp_server s;
	struct qmp_client *cl;
	pthread_t t;
	char err[128];
	char *out;

	/* eight vCPUs whose threads never run: each register read waits out its own deadline */
	TEST_ASSERT(script_load("semantics kvm\nvcpu all: block\n", err, sizeof(err)) == 0, "%s", err);
	TEST_ASSERT(vcpu_group__create(&g, &vm, 8, &hooks, err, sizeof(err)) == 0, "%s", err);
	control_init(&ctl, 8);
	TEST_ASSERT(!control_attach(&ctl, &g, plat, 1), "no quit pending");
	qmp_server_init_detached(&s, &ctl);
	cl = qmp_client_open_detached(&s);
	d.ctl = &ctl;
	pthread_create(&t, NULL, teardown, &d);
	qmp_client_feed(&s, cl, cmd, sizeof(cmd) - 1);
	pthread_join(t, NULL);
	TEST_ASSERT(d.released, "the monitor command let go of the VM within the teardown's 1 s");
	out = xzalloc(cl->out_len + 1);
	take_replies(cl, out, cl->out_len + 1);
	TEST_ASSERT(strstr(out, "CPU#7") && strstr(out, "unavailable"),
		    "every vCPU is in the reply, the silent ones marked: %.200s", out);
	free(out);

	/* no boot attached and none to come: answered at once, without waiting */
	control_finish(&ctl);
	qmp_client_feed(&s, cl, cmd + 31, sizeof(cmd) - 32);
	out = xzalloc(cl->out_len + 1);
	take_replies(cl, out, cl->out_len + 1);
	TEST_ASSERT(strstr(out, "no boot in progress"), "after the run: %s", out);
	free(out);

	qmp_client_close(cl);
	TEST_ASSERT(vcpu_group__destroy(&g) == 0, "destroy");
	control_destroy(&ctl);
	free(plat);
}

int main(void)
{
	vcpu__init_signals();
	test_lines_answered_at_once();
	test_command_bounded_as_a_whole();
	return unit_done("test_qmp");
}
