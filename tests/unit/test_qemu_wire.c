// SPDX-License-Identifier: GPL-2.0-only
/*
 * Proves the QEMU target's wire decoding without QEMU: the event stream
 * gives the same event log the native VMM keeps (split anywhere, garbage
 * reported once and skipped, a record cut short reported), the completion
 * record is taken once, `info registers -a` text is read back into CS:RIP,
 * SMM and HLT per CPU, and the QMP client pairs replies with commands,
 * queues events and bounds every wait.
 */
#include "../../vmm/qemu/evstream.h"
#include "../../vmm/qemu/qemu.h"
#include "../../vmm/qemu/qmpc.h"
#include "../../vmm/qemu/regs.h"
#include "../../vmm/util.h"
#include "unit.h"

#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static size_t put_rec(uint8_t *p, uint8_t kind, uint16_t writer, uint32_t v)
{
	p[0] = kind;
	p[1] = (uint8_t)writer;
	p[2] = (uint8_t)(writer >> 8);
	p[3] = (uint8_t)v;
	p[4] = (uint8_t)(v >> 8);
	p[5] = (uint8_t)(v >> 16);
	p[6] = (uint8_t)(v >> 24);
	return EVS_RECORD_SIZE;
}

/* A passing boot of 4 CPUs as the firmware streams it. */
static size_t pass_stream(uint8_t *buf)
{
	size_t n = 0;
	unsigned int i;

	n += put_rec(buf + n, EVS_EVENT, 0, EV_MAKE(EV_BOOT, 0, 4));
	n += put_rec(buf + n, EVS_EVENT, 0, EV_MAKE(EV_PHASE, 0, PHASE_INIT_SENT));
	for (i = 1; i < 4; i++)
		n += put_rec(buf + n, EVS_EVENT, (uint16_t)i, EV_MAKE(EV_AP_ONLINE, i, i - 1));
	n += put_rec(buf + n, EVS_EVENT, 0, EV_MAKE(EV_SCAN_DONE, 0, 3));
	n += put_rec(buf + n, EVS_DONE, 0, DONE_PASS);
	return n;
}

static void test_stream_whole_and_split(void)
{
	uint8_t buf[256];
	size_t n = pass_stream(buf), cut;

	/* every split point, fed as two reads, gives the same log */
	for (cut = 0; cut <= n; cut++) {
		struct evstream es;
		struct ev_log log;

		evstream_init(&es);
		ev_log_init(&log, 4);
		evstream_feed(&es, &log, buf, cut, 100);
		evstream_feed(&es, &log, buf + cut, n - cut, 200);
		evstream_finish(&es, &log);
		TEST_ASSERT(!log.bad && log.boot_seen && log.scan_done && log.scan_online == 3 &&
			    log.online[1] == 1 && log.online[3] == 1 && es.completion == DONE_PASS &&
			    es.records == 7, "cut %zu: bad %u (%s) completion %d", cut, log.bad,
			    log.bad_detail, es.completion);
	}
}

static void test_stream_garbage(void)
{
	uint8_t buf[256];
	struct evstream es;
	struct ev_log log;
	size_t n = 0;

	/* garbage between records: one error, then the stream is heard again */
	n += put_rec(buf + n, EVS_EVENT, 0, EV_MAKE(EV_BOOT, 0, 2));
	memcpy(buf + n, "\x01\x02\x03", 3);
	n += 3;
	n += put_rec(buf + n, EVS_EVENT, 1, EV_MAKE(EV_AP_ONLINE, 1, 0));
	evstream_init(&es);
	ev_log_init(&log, 2);
	evstream_feed(&es, &log, buf, n, 1);
	TEST_ASSERT(log.bad == 1 && strstr(log.bad_detail, "kind 0x01") && log.online[1] == 1,
		    "bad %u '%s' online %u", log.bad, log.bad_detail, log.online[1]);

	/* a CPU reporting another one online is a protocol error, as natively */
	evstream_init(&es);
	ev_log_init(&log, 2);
	n = put_rec(buf, EVS_EVENT, 0, EV_MAKE(EV_AP_ONLINE, 1, 0));
	evstream_feed(&es, &log, buf, n, 1);
	TEST_ASSERT(log.bad == 1 && log.online[1] == 0, "bad %u", log.bad);

	/* a writer beyond the VM's CPUs, a second completion, a non-byte code */
	evstream_init(&es);
	ev_log_init(&log, 2);
	n = put_rec(buf, EVS_EVENT, 9, EV_MAKE(EV_PHASE, 0, 1));
	n += put_rec(buf + n, EVS_DONE, 0, DONE_PASS);
	n += put_rec(buf + n, EVS_DONE, 0, DONE_AP_MISSING);
	n += put_rec(buf + n, EVS_DONE, 0, 0x1234);
	evstream_feed(&es, &log, buf, n, 1);
	TEST_ASSERT(log.bad == 3 && es.completion == DONE_PASS, "bad %u completion %d", log.bad,
		    es.completion);

	/* x2APIC writers: both bytes of the writer's ID count */
	evstream_init(&es);
	ev_log_init(&log, 300);
	n = put_rec(buf, EVS_EVENT, 299, EV_MAKE(EV_AP_ONLINE, 299, 0));
	n += put_rec(buf + n, EVS_EVENT, 43, EV_MAKE(EV_AP_ONLINE, 299, 1));	/* 299 & 0xff */
	evstream_feed(&es, &log, buf, n, 1);
	TEST_ASSERT(log.bad == 1 && log.online[299] == 1 && strstr(log.bad_detail, "vCPU 43"),
		    "bad %u '%s' online %u", log.bad, log.bad_detail, log.online[299]);

	/* a record cut short at the end of the boot */
	evstream_init(&es);
	ev_log_init(&log, 2);
	evstream_feed(&es, &log, buf, 4, 1);
	TEST_ASSERT(!log.bad, "early");
	evstream_finish(&es, &log);
	TEST_ASSERT(log.bad == 1 && strstr(log.bad_detail, "inside a record"), "'%s'",
		    log.bad_detail);
}

static const char dump2[] =
	"CPU#0\r\nEAX=00000000 EBX=00000000\r\n"
	"EIP=00001234 EFL=00000002 [-------] CPL=0 II=0 A20=1 SMM=0 HLT=1\r\n"
	"ES =0000 00000000 0000ffff 00009300\r\n"
	"CS =0008 00000000 ffffffff 00cf9b00 DPL=0 CS32 [-RA]\r\n"
	"CPU#1\r\nEAX=00000000\r\n"
	"EIP=0000fff0 EFL=00000002 [-------] CPL=0 II=0 A20=1 SMM=1 HLT=0\r\n"
	"CS =f000 ffff0000 0000ffff 00009b00\r\n"
	"CPU#12\r\nRIP=ffffffff81000000 RFL=00000002 [-------] CPL=0 II=0 A20=1 SMM=0 HLT=0\r\n"
	"CS =0010 0000000000000000 ffffffff 00a09b00\r\n";

static void test_regs(void)
{
	struct vcpu_brief b;
	const char *blk;
	size_t len;
	bool hlt;

	blk = qemu_regs_find(dump2, 0, &len);
	TEST_ASSERT(blk && !qemu_regs_parse(blk, len, &b, &hlt), "cpu 0");
	TEST_ASSERT(b.valid && b.rip == 0x1234 && b.cs == 8 && b.cs_base == 0 && !b.smm && hlt,
		    "cpu 0: rip %llx cs %x smm %d hlt %d", (unsigned long long)b.rip, b.cs, b.smm, hlt);
	blk = qemu_regs_find(dump2, 1, &len);
	TEST_ASSERT(blk && !qemu_regs_parse(blk, len, &b, &hlt), "cpu 1");
	TEST_ASSERT(b.rip == 0xfff0 && b.cs == 0xf000 && b.cs_base == 0xffff0000 && b.smm && !hlt,
		    "cpu 1: rip %llx cs %x base %llx", (unsigned long long)b.rip, b.cs,
		    (unsigned long long)b.cs_base);
	/* "CPU#1" must not be found inside "CPU#12"; 64-bit RIP parses */
	blk = qemu_regs_find(dump2, 12, &len);
	TEST_ASSERT(blk && !qemu_regs_parse(blk, len, &b, &hlt) && b.rip == 0xffffffff81000000ull,
		    "cpu 12");
	TEST_ASSERT(!qemu_regs_find(dump2, 2, &len), "cpu 2 is not there");
	TEST_ASSERT(qemu_regs_parse("no registers here", 17, &b, &hlt) == -1 && !b.valid,
		    "garbage parses");
	TEST_ASSERT(qemu_regs_parse("EIP=0000fff0 SMM=0 HLT=0\nCS =zz", 32, &b, &hlt) == -1,
		    "bad CS parses");
}

static void peer_write(int fd, const char *s)
{
	TEST_ASSERT(write(fd, s, strlen(s)) == (ssize_t)strlen(s), "peer write");
}

static void test_qmpc(void)
{
	struct qmpc c;
	int sv[2];
	char err[256], in[512];
	json_t *ret, *ev;
	ssize_t n;

	TEST_ASSERT(!socketpair(AF_UNIX, SOCK_STREAM, 0, sv), "socketpair");
	qmpc_init(&c, sv[0]);
	/* greeting, then the capabilities reply (its id is 1) with an event first */
	peer_write(sv[1], "{\"QMP\": {\"version\": {}, \"capabilities\": []}}\r\n"
			  "{\"event\": \"X\", \"timestamp\": {}}\r\n\r\n"
			  "{\"return\": {}, \"id\": 1}\r\n");
	TEST_ASSERT(!qmpc_attach(&c, now_ns() + 1000000000ull, err, sizeof(err)), "%s", err);
	n = read(sv[1], in, sizeof(in) - 1);
	in[n > 0 ? n : 0] = '\0';
	TEST_ASSERT(strstr(in, "\"qmp_capabilities\"") && strstr(in, "\"id\":1"), "sent '%s'", in);
	ev = qmpc_event_pop(&c);
	TEST_ASSERT(ev && !strcmp(json_string_value(json_object_get(ev, "event")), "X"), "event");
	json_decref(ev);

	/* a stale reply (another id) is skipped; an error reply names class and desc */
	peer_write(sv[1], "{\"return\": 5, \"id\": 99}\n{\"error\": {\"class\": \"GenericError\", "
			  "\"desc\": \"nope\"}, \"id\": 2}\n");
	ret = qmpc_command(&c, "stop", NULL, now_ns() + 1000000000ull, err, sizeof(err));
	TEST_ASSERT(!ret && strstr(err, "GenericError: nope"), "'%s'", err);

	/* no reply: bounded */
	ret = qmpc_command(&c, "query-status", NULL, now_ns() + 50000000ull, err, sizeof(err));
	TEST_ASSERT(!ret && strstr(err, "in time"), "'%s'", err);

	/* malformed input ends the connection as broken, never a crash */
	peer_write(sv[1], "{\"return\": {}, \"id\": 4}\nthis is not json\n");
	ret = qmpc_command(&c, "cont", NULL, now_ns() + 1000000000ull, err, sizeof(err));
	TEST_ASSERT(ret, "%s", err);
	json_decref(ret);
	ret = qmpc_command(&c, "cont", NULL, now_ns() + 1000000000ull, err, sizeof(err));
	TEST_ASSERT(!ret && strstr(err, "malformed"), "'%s'", err);
	/* ... and stays broken: no command waits on it again */
	{
		uint64_t t0 = now_ns();

		peer_write(sv[1], "{\"return\": {}, \"id\": 7}\n");
		ret = qmpc_command(&c, "cont", NULL, now_ns() + 5000000000ull, err, sizeof(err));
		TEST_ASSERT(!ret && strstr(err, "malformed") && c.eof && c.broken &&
			    now_ns() - t0 < 1000000000ull, "'%s'", err);
		TEST_ASSERT(qmpc_pump(&c) == -1, "pump on a broken connection");
	}

	/* the peer gone */
	close(sv[1]);
	ret = qmpc_command(&c, "cont", NULL, now_ns() + 1000000000ull, err, sizeof(err));
	TEST_ASSERT(!ret, "reply from a closed peer");
	qmpc_close(&c);
}

/* Many blank lines and events before the reply: parsed in one pass, within the deadline. */
static void test_qmpc_bulk(void)
{
	struct qmpc c;
	int sv[2];
	char err[256];
	json_t *ret, *ev;
	unsigned int i, events = 0;
	static char bulk[200000];
	size_t n = 0;

	TEST_ASSERT(!socketpair(AF_UNIX, SOCK_STREAM, 0, sv), "socketpair");
	qmpc_init(&c, sv[0]);
	for (i = 0; i < 1000; i++)
		n += (size_t)snprintf(bulk + n, sizeof(bulk) - n, "\r\n{\"event\": \"E%u\"}\n", i);
	memset(bulk + n, '\n', 100000);
	n += 100000;
	n += (size_t)snprintf(bulk + n, sizeof(bulk) - n, "{\"return\": 42, \"id\": 1}\n");
	/* the writer must not block on a full socket: send from a child */
	if (fork() == 0) {
		size_t off = 0;

		close(sv[0]);
		while (off < n) {
			ssize_t w = write(sv[1], bulk + off, n - off);

			if (w <= 0)
				_exit(1);
			off += (size_t)w;
		}
		_exit(0);
	}
	close(sv[1]);
	ret = qmpc_command(&c, "x", NULL, now_ns() + 5000000000ull, err, sizeof(err));
	TEST_ASSERT(ret && json_integer_value(ret) == 42, "%s", err);
	json_decref(ret);
	while ((ev = qmpc_event_pop(&c))) {
		events++;
		json_decref(ev);
	}
	TEST_ASSERT(events == QMPC_MAX_EVENTS && c.events_dropped == 1000 - QMPC_MAX_EVENTS,
		    "events %u dropped %u", events, c.events_dropped);
	qmpc_close(&c);
	wait(NULL);
}

static void test_exit_status(void)
{
	TEST_ASSERT(qemu_expected_status(DONE_PASS) == 33, "%d", qemu_expected_status(DONE_PASS));
	TEST_ASSERT(qemu_expected_status(DONE_AP_MISSING) == 35, "ap-missing");
}

int main(void)
{
	test_stream_whole_and_split();
	test_stream_garbage();
	test_regs();
	test_qmpc();
	test_qmpc_bulk();
	test_exit_status();
	return unit_done("test_qemu_wire");
}
