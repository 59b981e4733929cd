// SPDX-License-Identifier: GPL-2.0-only
/*
 * Proves `hvsmoke compare`'s rules on hand-made BASE and NEW runs: identical
 * runs compare clean; each regression kind (a new failure class, a positive
 * control gone silent, latency slower beyond noise at p50 or p99, a lost
 * capability, a run that did not run) is flagged, and only it; changes that
 * are not regressions are notes; files that cannot be compared are refused
 * with a reason. Also the bootstrap's ratio and bound on known samples.
 */
#include "../../vmm/compare.h"
#include "../../vmm/util.h"
#include "unit.h"

#include <math.h>
#include <string.h>

/* A passing 200-boot native run, as json_write lays it out (the fields compare reads). */
static const char run_template[] =
	"{\"schema_version\": 1, \"kind\": \"hvsmoke-run\", \"hvsmoke_version\": \"0.2.0\","
	" \"started_utc\": \"2026-11-26T00:00:00Z\", \"verdict\": \"pass\", \"seed\": 7,"
	" \"iterations_run\": 200, \"passed\": 200, \"failures_total\": 0,"
	" \"classes\": {\"pass\": 200, \"ap-missing\": 0, \"ap-duplicate\": 0, \"ap-reset\": 0,"
	"  \"boot-timeout\": 0, \"guest-crash\": 0, \"vmm-error\": 0, \"quit-timeout\": 0,"
	"  \"smm-missing\": 0, \"smm-stuck\": 0, \"smm-relocation\": 0},"
	" \"smm\": {\"mode\": \"auto\", \"ran\": false, \"skip_reason\": null},"
	" \"first_failure\": null,"
	" \"scenario\": {\"target\": \"native\", \"accel\": \"kvm\", \"cpus\": 4,"
	"  \"ipi_pattern\": \"hvsmoke\", \"sync_policy\": \"fixed\", \"sync_hammer\": \"max\","
	"  \"sync_targets\": \"all\", \"kick\": \"exit-request\", \"storm_ms\": 0,"
	"  \"quit_at\": \"never\", \"quit_deadline_ms\": 500, \"boot_timeout_ms\": 2000,"
	"  \"smm\": \"auto\", \"reuse\": false, \"machine\": null, \"qemu_accel\": null,"
	"  \"firmware\": {\"variant\": \"standard\", \"source\": \"embedded\", \"size\": 65536,"
	"   \"fnv1a64\": \"0123456789abcdef\"}, \"positive_controls\": [],"
	"  \"iterations\": 200, \"duration_s\": 0, \"stop_on_failure\": false},"
	" \"samples\": {\"boot_us\": [], \"boot_iteration\": [], \"quit_us\": [],"
	"  \"monitor_us\": [], \"truncated\": false},"
	" \"boot_classes\": \"\", \"host_load\": {\"busy\": 0.5, \"own\": 0.45, \"foreign\": 0.05},"
	" \"host\": {\"kernel\": \"Linux 6.18\", \"cpu_model\": \"Test CPU\", \"accel\": \"kvm\","
	"  \"accel_available\": true, \"kvm_api\": 12,"
	"  \"caps\": {\"IRQCHIP\": 1, \"SPLIT_IRQCHIP\": 1, \"IMMEDIATE_EXIT\": 1,"
	"   \"MP_STATE\": 1, \"VCPU_EVENTS\": 1, \"READONLY_MEM\": 1, \"X86_SMM\": 1,"
	"   \"GET_TSC_KHZ\": 1, \"NR_VCPUS\": 2, \"MAX_VCPUS\": 1024},"
	"  \"backends\": {\"kvm\": {\"available\": true, \"state\": \"available\", \"reason\": \"\"},"
	"   \"mshv\": {\"available\": false, \"state\": \"absent\", \"reason\": \"x\"}}}}";

static uint64_t rng = 42;

/* Noise around a level: what two healthy runs of one host look like. */
static uint32_t jitter(uint32_t level)
{
	return level + (uint32_t)(rng_next(&rng) % (level / 5 + 1));
}

static json_t *run_new(void)
{
	json_error_t err;
	json_t *j = json_loads(run_template, JSON_DECODE_INT_AS_REAL, &err);

	if (!j) {
		fprintf(stderr, "template: line %d: %s\n", err.line, err.text);
		exit(1);
	}
	return j;
}

/* boots boots, the failing ones given by letter; latencies around level (x scale). */
static void set_boots(json_t *j, unsigned int boots, const char *fail_letters, uint32_t level,
		      double scale)
{
	json_t *samples = json_object_get(j, "samples");
	json_t *us = json_array(), *it = json_array();
	char *classes = xzalloc(boots + 1);
	unsigned int i, failed = 0;
	size_t nf = fail_letters ? strlen(fail_letters) : 0;

	for (i = 0; i < boots; i++) {
		/* failures spread through the run, every 10th boot */
		classes[i] = (i % 10 == 5 && failed < nf) ? fail_letters[failed++] : 'P';
		json_array_append_new(us, json_real((double)(uint32_t)(jitter(level) * scale)));
		json_array_append_new(it, json_real(i + 1));
	}
	json_object_set_new(samples, "boot_us", us);
	json_object_set_new(samples, "boot_iteration", it);
	json_object_set_new(j, "boot_classes", json_string(classes));
	json_object_set_new(j, "iterations_run", json_real(boots));
	json_object_set_new(j, "failures_total", json_real(failed));
	json_object_set_new(j, "passed", json_real(boots - failed));
	if (failed) {
		json_object_set_new(j, "verdict", json_string("fail"));
		json_object_set_new(j, "first_failure",
				    json_pack("{s:i, s:f}", "iteration", 6, "seconds", 0.5));
	}
	free(classes);
}

static void set_class(json_t *j, const char *cls, unsigned int n)
{
	json_object_set_new(json_object_get(j, "classes"), cls, json_real(n));
}

static void set_scenario(json_t *j, const char *key, json_t *v)
{
	json_object_set_new(json_object_get(j, "scenario"), key, v);
}

static void set_cap(json_t *j, const char *cap, int v)
{
	json_object_set_new(json_object_get(json_object_get(j, "host"), "caps"), cap,
			    json_real(v));
}

static struct cmp_result res;

/* Compares; the ids of the regressions, space-separated, or "BAD: why". */
static const char *run_compare(json_t *b, json_t *n, double max)
{
	static char out[1024];
	char why[512];
	size_t used = 0;

	if (compare_runs(b, "base.json", n, "new.json", max, &res, why, sizeof(why))) {
		snprintf(out, sizeof(out), "BAD: %s", why);
		return out;
	}
	out[0] = '\0';
	for (size_t i = 0; i < res.nchecks; i++)
		if (res.checks[i].result == CO_REGRESSION && used < sizeof(out))
			used += (size_t)snprintf(out + used, sizeof(out) - used, "%s%s",
						 used ? " " : "", res.checks[i].id);
	return out;
}

static bool has_note(const char *needle)
{
	for (size_t i = 0; i < res.nnotes; i++)
		if (strstr(res.notes[i], needle))
			return true;
	return false;
}

static const struct cmp_check *find_check(const char *id)
{
	for (size_t i = 0; i < res.nchecks; i++)
		if (!strcmp(res.checks[i].id, id))
			return &res.checks[i];
	return NULL;
}

static void test_identical_and_noise(void)
{
	json_t *b = run_new(), *n = run_new();
	const char *got;

	set_boots(b, 200, NULL, 1000, 1.0);
	set_boots(n, 200, NULL, 1000, 1.0);
	got = run_compare(b, b, 1.25);
	TEST_ASSERT(!strcmp(got, ""), "a run against itself regressed: %s", got);
	TEST_ASSERT(res.nchecks >= 20, "only %zu checks", res.nchecks);
	TEST_ASSERT(res.nlat == 1 && fabs(res.lat[0].ratio_p50 - 1.0) < 1e-9,
		    "identical samples: ratio %f", res.lat[0].ratio_p50);
	got = run_compare(b, n, 1.25);
	TEST_ASSERT(!strcmp(got, ""), "two draws of one host regressed: %s", got);
	/* 10% slower everywhere is within --max-slowdown */
	set_boots(n, 200, NULL, 1100, 1.0);
	got = run_compare(b, n, 1.25);
	TEST_ASSERT(!strcmp(got, ""), "10%% slower regressed at x1.25: %s", got);
	json_decref(b);
	json_decref(n);
}

static void test_new_failure_class(void)
{
	json_t *b = run_new(), *n = run_new();
	const char *got;

	set_boots(b, 200, NULL, 1000, 1.0);
	set_boots(n, 200, "AAA", 1000, 1.0);
	set_class(n, "ap-missing", 3);
	got = run_compare(b, n, 1.25);
	TEST_ASSERT(!strcmp(got, "class/ap-missing"), "got '%s'", got);
	/* a class both runs have is not new */
	set_boots(b, 200, "A", 1000, 1.0);
	set_class(b, "ap-missing", 1);
	got = run_compare(b, n, 1.25);
	TEST_ASSERT(!strcmp(got, ""), "a class in both runs regressed: %s", got);
	json_decref(b);
	json_decref(n);
}

static void make_control(json_t *j, const char *policy, const char *letters, const char *cls)
{
	set_scenario(j, "sync_policy", json_string(policy));
	set_scenario(j, "positive_controls", json_pack("[s]", policy));
	set_boots(j, 200, letters, 1000, 1.0);
	if (letters)
		set_class(j, cls, (unsigned int)strlen(letters));
}

static void test_positive_controls(void)
{
	json_t *b = run_new(), *n = run_new();
	const struct cmp_check *c;
	const char *got;

	/* fires in both: its classes are it firing, not news */
	make_control(b, "legacy-smm", "AAAA", "ap-missing");
	make_control(n, "legacy-smm", "AA", "ap-missing");
	got = run_compare(b, n, 1.25);
	TEST_ASSERT(!strcmp(got, ""), "a control firing in both regressed: %s", got);
	c = find_check("control/legacy-smm");
	TEST_ASSERT(c && c->result == CO_OK && strstr(c->detail, "4 of 200"),
		    "control check: %s", c ? c->detail : "missing");

	/* silent in NEW */
	make_control(n, "legacy-smm", NULL, NULL);
	set_class(n, "ap-missing", 0);
	got = run_compare(b, n, 1.25);
	TEST_ASSERT(!strcmp(got, "control/legacy-smm"), "got '%s'", got);

	/* a class outside its signature is still news */
	make_control(n, "legacy-smm", "AAQ", "ap-missing");
	set_class(n, "ap-missing", 2);
	set_class(n, "quit-timeout", 1);
	got = run_compare(b, n, 1.25);
	TEST_ASSERT(!strcmp(got, "class/quit-timeout"), "got '%s'", got);

	/* the correct mode as BASE, the known-bad one as NEW: what it finds is new */
	json_decref(b);
	json_decref(n);
	b = run_new();
	n = run_new();
	set_boots(b, 200, NULL, 1000, 1.0);
	make_control(n, "legacy-smm", "AAAAA", "ap-missing");
	got = run_compare(b, n, 1.25);
	TEST_ASSERT(!strcmp(got, "class/ap-missing"), "got '%s'", got);
	c = find_check("control/legacy-smm");
	TEST_ASSERT(c && c->result == CO_SKIP, "a control only in NEW is not judged as one");
	TEST_ASSERT(has_note("sync_policy \"fixed\" -> \"legacy-smm\""), "no note of the policy");

	/* silent in BASE, firing in NEW: not a regression, and not "neither" */
	make_control(b, "legacy-smm", NULL, NULL);
	set_class(b, "ap-missing", 0);
	make_control(n, "legacy-smm", "AA", "ap-missing");
	got = run_compare(b, n, 1.25);
	c = find_check("control/legacy-smm");
	TEST_ASSERT(!strcmp(got, "") && c && strstr(c->detail, "legacy-smm fires in NEW only"),
		    "got '%s': %s", got, c ? c->detail : "");
	set_scenario(n, "positive_controls", json_pack("[s, s]", "legacy-smm", "legacy-smm"));
	got = run_compare(b, n, 1.25);
	TEST_ASSERT(strstr(got, "positive_controls[1] names legacy-smm twice"), "got '%s'", got);

	/* a control fires by its own classes: one vmm-error is not it seeing anything */
	make_control(b, "legacy-smm", "AAAA", "ap-missing");
	make_control(n, "legacy-smm", "E", "vmm-error");
	set_class(n, "ap-missing", 0);
	got = run_compare(b, n, 1.25);
	TEST_ASSERT(!strcmp(got, "class/vmm-error control/legacy-smm"), "got '%s'", got);
	set_class(n, "vmm-error", 0);

	/* the no-SIPI firmware, named by the image: boot-timeout is its too */
	make_control(b, "no-sipi-firmware", "AAAA", "ap-missing");
	make_control(n, "no-sipi-firmware", "AT", "ap-missing");
	set_class(n, "ap-missing", 1);
	set_class(n, "boot-timeout", 1);
	set_scenario(b, "sync_policy", json_string("fixed"));
	set_scenario(n, "sync_policy", json_string("fixed"));
	got = run_compare(b, n, 1.25);
	TEST_ASSERT(!strcmp(got, ""), "no-sipi firing in both regressed: %s", got);
	json_decref(b);
	json_decref(n);
}

static void test_latency(void)
{
	json_t *b = run_new(), *n = run_new();
	json_t *tail;
	const char *got;

	set_boots(b, 400, NULL, 1000, 1.0);
	set_boots(n, 400, NULL, 1000, 2.0);
	got = run_compare(b, n, 1.25);
	TEST_ASSERT(!strcmp(got, "latency/boot_us"), "twice as slow: got '%s'", got);
	TEST_ASSERT(res.lat[0].lower_p50 > 1.25 && res.lat[0].lower_p50 <= res.lat[0].ratio_p50,
		    "bound %f, ratio %f", res.lat[0].lower_p50, res.lat[0].ratio_p50);
	/* --max-slowdown moves the line */
	got = run_compare(b, n, 3.0);
	TEST_ASSERT(!strcmp(got, ""), "x2 regressed at --max-slowdown 3: %s", got);

	/* same median, a tail three times as long: p99 alone */
	set_boots(n, 400, NULL, 1000, 1.0);
	tail = json_object_get(json_object_get(n, "samples"), "boot_us");
	for (size_t i = 0; i < 40; i++)
		json_array_set_new(tail, i * 10, json_real(3600 + (double)i));
	got = run_compare(b, n, 1.25);
	TEST_ASSERT(!strcmp(got, "latency/boot_us"), "long tail: got '%s'", got);
	TEST_ASSERT(res.lat[0].judged_p99 && res.lat[0].lower_p99 > 1.25 &&
		    res.lat[0].lower_p50 < 1.25,
		    "p50 bound %f, p99 bound %f", res.lat[0].lower_p50, res.lat[0].lower_p99);

	/* the host busier with other work in one run: a slowdown is not the host's own */
	set_boots(n, 400, NULL, 1000, 2.0);
	json_object_set_new(n, "host_load",
			    json_pack("{s:f, s:f, s:f}", "busy", 0.8, "own", 0.5, "foreign", 0.3));
	got = run_compare(b, n, 1.25);
	TEST_ASSERT(!strcmp(got, ""), "a neighbour's load judged: %s", got);
	TEST_ASSERT(find_check("latency/boot_us")->result == CO_SKIP &&
		    strstr(find_check("latency/boot_us")->detail, "5% of the host's CPU time during BASE and 30% during NEW"),
		    "%s", find_check("latency/boot_us")->detail);
	/* alike but both busy: a quarter of the host is the most that is judged */
	json_object_set_new(b, "host_load",
			    json_pack("{s:f, s:f, s:f}", "busy", 0.8, "own", 0.5, "foreign", 0.30));
	json_object_set_new(n, "host_load",
			    json_pack("{s:f, s:f, s:f}", "busy", 0.8, "own", 0.5, "foreign", 0.32));
	got = run_compare(b, n, 1.25);
	TEST_ASSERT(!strcmp(got, "") && find_check("latency/boot_us")->result == CO_SKIP,
		    "both at 30%%: got '%s'", got);
	json_object_set_new(b, "host_load",
			    json_pack("{s:f, s:f, s:f}", "busy", 0.5, "own", 0.45, "foreign", 0.05));
	/* within 10 points: judged, and the loads are shown */
	json_object_set_new(n, "host_load",
			    json_pack("{s:f, s:f, s:f}", "busy", 0.6, "own", 0.46, "foreign", 0.14));
	got = run_compare(b, n, 1.25);
	TEST_ASSERT(!strcmp(got, "latency/boot_us") &&
		    strstr(find_check("latency/boot_us")->detail, "other processes took 5% / 14%"),
		    "got '%s': %s", got, find_check("latency/boot_us")->detail);
	/* unknown on one side: judged */
	json_object_set_new(n, "host_load", json_null());
	got = run_compare(b, n, 1.25);
	TEST_ASSERT(!strcmp(got, "latency/boot_us"), "got '%s'", got);
	json_object_set_new(n, "host_load", json_string("busy"));
	got = run_compare(b, n, 1.25);
	TEST_ASSERT(strstr(got, "host_load.foreign is not a fraction"), "got '%s'", got);
	/* absent (written by 0.2.0 before the field): unknown, judged */
	json_object_del(n, "host_load");
	got = run_compare(b, n, 1.25);
	TEST_ASSERT(!strcmp(got, "latency/boot_us"), "got '%s'", got);
	/* the SMM stage in one run only: other work, not judged */
	json_object_set_new(json_object_get(n, "smm"), "ran", json_true());
	got = run_compare(b, n, 1.25);
	TEST_ASSERT(strstr(find_check("latency/boot_us")->detail, "the SMM stage ran in one run only") &&
		    find_check("latency/boot_us")->result == CO_SKIP, "got '%s'", got);
	json_object_set_new(json_object_get(n, "smm"), "ran", json_false());
	json_object_set_new(n, "host_load", json_deep_copy(json_object_get(b, "host_load")));

	/* monitor latency: shown, never a regression */
	json_object_set_new(json_object_get(b, "samples"), "monitor_us",
			    json_deep_copy(json_object_get(json_object_get(b, "samples"), "boot_us")));
	json_object_set_new(json_object_get(n, "samples"), "monitor_us",
			    json_deep_copy(json_object_get(json_object_get(n, "samples"), "boot_us")));
	got = run_compare(b, n, 1.25);
	TEST_ASSERT(!strcmp(got, "latency/boot_us") &&
		    find_check("latency/monitor_us")->result == CO_SKIP &&
		    strstr(find_check("latency/monitor_us")->detail, "shown, not judged"),
		    "got '%s'", got);

	/* x1.5 of a few tens of microseconds is a wake-up, not a regression */
	set_boots(b, 400, NULL, 80, 1.0);
	set_boots(n, 400, NULL, 80, 1.5);
	got = run_compare(b, n, 1.25);
	TEST_ASSERT(!strcmp(got, "") && res.lat[0].lower_p50 > 1.25,
		    "tiny slowdown: got '%s', bound %f", got, res.lat[0].lower_p50);
	set_boots(n, 400, NULL, 80, 5.0);
	got = run_compare(b, n, 1.25);
	TEST_ASSERT(!strcmp(got, "latency/boot_us"), "x5 of 80 us: got '%s'", got);

	/* too few samples: not judged, said so */
	set_boots(b, 10, NULL, 1000, 1.0);
	set_boots(n, 10, NULL, 1000, 5.0);
	got = run_compare(b, n, 1.25);
	TEST_ASSERT(!strcmp(got, ""), "10 samples judged: %s", got);
	TEST_ASSERT(find_check("latency/boot_us") &&
		    find_check("latency/boot_us")->result == CO_SKIP, "not a skip");

	/* failed boots' times are deadlines: left out */
	set_boots(b, 200, NULL, 1000, 1.0);
	set_boots(n, 200, NULL, 1000, 1.0);
	set_boots(n, 200, "AAAAAAAAAAAAAAAAAAAA", 1000, 1.0);
	set_class(n, "ap-missing", 20);
	set_class(b, "ap-missing", 20);	/* not news either */
	set_boots(b, 200, "AAAAAAAAAAAAAAAAAAAA", 1000, 1.0);
	tail = json_object_get(json_object_get(n, "samples"), "boot_us");
	for (size_t i = 5; i < 200; i += 10)
		json_array_set_new(tail, i, json_real(1000000));
	got = run_compare(b, n, 1.25);
	TEST_ASSERT(!strcmp(got, ""), "failed boots' deadlines counted: %s", got);
	TEST_ASSERT(res.lat[0].n_new == 180, "%zu passing samples", res.lat[0].n_new);
	json_decref(b);
	json_decref(n);
}

static void test_capabilities(void)
{
	json_t *b = run_new(), *n = run_new();
	const char *got;

	set_boots(b, 100, NULL, 1000, 1.0);
	set_boots(n, 100, NULL, 1000, 1.0);
	set_cap(n, "X86_SMM", 0);
	got = run_compare(b, n, 1.25);
	TEST_ASSERT(!strcmp(got, "capability/X86_SMM"), "got '%s'", got);
	set_cap(n, "X86_SMM", 1);
	set_cap(n, "MAX_VCPUS", 512);
	got = run_compare(b, n, 1.25);
	TEST_ASSERT(!strcmp(got, "capability/MAX_VCPUS"), "got '%s'", got);
	set_cap(n, "MAX_VCPUS", 1024);
	json_object_set_new(json_object_get(json_object_get(json_object_get(n, "host"), "backends"),
					    "kvm"), "available", json_false());
	got = run_compare(b, n, 1.25);
	TEST_ASSERT(!strcmp(got, "capability/backend-kvm"), "got '%s'", got);
	json_object_set_new(json_object_get(json_object_get(json_object_get(n, "host"), "backends"),
					    "kvm"), "available", json_true());
	json_object_set_new(json_object_get(b, "smm"), "ran", json_true());
	got = run_compare(b, n, 1.25);
	TEST_ASSERT(!strcmp(got, "capability/smm-stage"), "got '%s'", got);
	json_object_set_new(json_object_get(b, "smm"), "ran", json_false());

	/* gained and changed: notes, never regressions */
	set_cap(b, "X86_SMM", 0);
	set_cap(n, "NR_VCPUS", 8);
	json_object_set_new(json_object_get(n, "host"), "kernel", json_string("Linux 6.19"));
	got = run_compare(b, n, 1.25);
	TEST_ASSERT(!strcmp(got, ""), "gains regressed: %s", got);
	TEST_ASSERT(has_note("X86_SMM gained") && has_note("kernel Linux 6.18 -> Linux 6.19") &&
		    has_note("NR_VCPUS"), "notes missing");

	/* the QEMU target: the QEMU that ran is a capability too */
	json_object_set_new(json_object_get(b, "host"), "qemu",
			    json_pack("{s:s, s:s}", "version", "8.2.0", "package", "Debian 1:8.2"));
	json_object_set_new(json_object_get(n, "host"), "qemu",
			    json_pack("{s:s, s:s}", "version", "9.0.1", "package", "Debian 1:9.0"));
	got = run_compare(b, n, 1.25);
	TEST_ASSERT(!strcmp(got, "") && has_note("QEMU 8.2.0 -> 9.0.1"), "upgrade: got '%s'", got);
	json_object_set_new(json_object_get(json_object_get(n, "host"), "qemu"), "version",
			    json_string("7.2.22"));
	got = run_compare(b, n, 1.25);
	TEST_ASSERT(!strcmp(got, "capability/qemu"), "downgrade: got '%s'", got);
	json_object_del(json_object_get(n, "host"), "qemu");
	got = run_compare(b, n, 1.25);
	TEST_ASSERT(!strcmp(got, "capability/qemu"), "QEMU gone: got '%s'", got);
	/* neither QEMU answered query-version: nothing lost */
	json_object_set_new(json_object_get(b, "host"), "qemu",
			    json_pack("{s:s, s:s}", "version", "", "package", ""));
	json_object_set_new(json_object_get(n, "host"), "qemu",
			    json_pack("{s:s, s:s}", "version", "", "package", ""));
	got = run_compare(b, n, 1.25);
	TEST_ASSERT(!strcmp(got, "") && strstr(find_check("capability/qemu")->detail,
						"QEMU none in BASE, none in NEW"), "got '%s'", got);
	json_object_set_new(json_object_get(b, "host"), "qemu",
			    json_pack("{s:s, s:s}", "version", "8.2.0", "package", "Debian 1:8.2"));
	/* a version that is no version does not order (and does not overflow) */
	json_object_set_new(json_object_get(n, "host"), "qemu",
			    json_pack("{s:s, s:s}", "version", "-1.0.0", "package", ""));
	got = run_compare(b, n, 1.25);
	TEST_ASSERT(!strcmp(got, "capability/qemu"), "'-1.0.0': got '%s'", got);
	json_decref(b);
	json_decref(n);
}

static void test_skips(void)
{
	json_t *b = run_new(), *n = run_new();
	const char *got;

	set_boots(b, 100, NULL, 1000, 1.0);
	set_boots(n, 0, NULL, 1000, 1.0);
	json_object_set_new(n, "verdict", json_string("skip"));
	json_object_set_new(n, "skip_reason", json_string("/dev/kvm: No such file or directory"));
	set_scenario(n, "accel", json_string("none"));
	got = run_compare(b, n, 1.25);
	TEST_ASSERT(!strcmp(got, "run"), "NEW skipped: got '%s'", got);
	TEST_ASSERT(strstr(find_check("run")->detail, "/dev/kvm"), "the reason is not shown");
	got = run_compare(n, b, 1.25);
	TEST_ASSERT(!strncmp(got, "BAD: BASE is a skipped run", 26), "BASE skipped: got '%s'", got);
	/* a quit before the first boot: nothing ran */
	json_object_set_new(n, "verdict", json_string("pass"));
	set_scenario(n, "accel", json_string("kvm"));
	got = run_compare(b, n, 1.25);
	TEST_ASSERT(!strcmp(got, "run"), "no boots: got '%s'", got);
	json_decref(b);
	json_decref(n);
}

static void test_bad_input(void)
{
	json_t *b = run_new(), *n = run_new();
	const char *got;

	set_boots(b, 50, NULL, 1000, 1.0);
	set_boots(n, 50, NULL, 1000, 1.0);
	set_scenario(n, "cpus", json_real(8));
	set_scenario(n, "storm_ms", json_real(20));
	got = run_compare(b, n, 1.25);
	TEST_ASSERT(strstr(got, "BAD: BASE and NEW are different scenarios") &&
		    strstr(got, "cpus 4 vs 8") && strstr(got, "storm_ms 0 vs 20"), "got '%s'", got);
	set_scenario(n, "cpus", json_real(4));
	set_scenario(n, "storm_ms", json_real(0));

	json_object_del(n, "schema_version");
	got = run_compare(b, n, 1.25);
	TEST_ASSERT(strstr(got, "BAD: NEW new.json: has no schema_version"), "got '%s'", got);
	json_object_set_new(n, "schema_version", json_real(2));
	got = run_compare(b, n, 1.25);
	TEST_ASSERT(strstr(got, "schema_version 2; this hvsmoke reads 1"), "got '%s'", got);
	/* found by fuzz_compare: a version no integer type holds */
	json_object_set_new(n, "schema_version", json_real(1.66667e+33));
	got = run_compare(b, n, 1.25);
	TEST_ASSERT(strstr(got, "schema_version 1.66667e+33; this hvsmoke reads 1"), "got '%s'", got);
	json_object_set_new(n, "schema_version", json_real(1));
	json_object_set_new(n, "kind", json_string("hvsmoke-compare"));
	got = run_compare(b, n, 1.25);
	TEST_ASSERT(strstr(got, "not \"hvsmoke-run\""), "got '%s'", got);
	json_object_set_new(n, "kind", json_string("hvsmoke-run"));
	json_object_set_new(n, "classes", json_string("none"));
	got = run_compare(b, n, 1.25);
	TEST_ASSERT(strstr(got, "classes is not an object"), "got '%s'", got);
	json_object_set_new(n, "classes", json_deep_copy(json_object_get(b, "classes")));
	json_object_set_new(n, "boot_classes", json_string("PP"));
	got = run_compare(b, n, 1.25);
	TEST_ASSERT(strstr(got, "boot_classes has 2 letters for 50 boots"), "got '%s'", got);
	set_boots(n, 50, NULL, 1000, 1.0);
	json_array_set_new(json_object_get(json_object_get(n, "samples"), "boot_us"), 3,
			   json_real(-5));
	got = run_compare(b, n, 1.25);
	TEST_ASSERT(strstr(got, "samples.boot_us[3] is not a microsecond count"), "got '%s'", got);
	set_boots(n, 50, NULL, 1000, 1.0);
	json_object_set_new(json_object_get(n, "samples"), "boot_iteration", json_array());
	got = run_compare(b, n, 1.25);
	TEST_ASSERT(strstr(got, "boot_iteration has 0 entries"), "got '%s'", got);
	set_boots(n, 50, NULL, 1000, 1.0);
	json_object_del(json_object_get(n, "scenario"), "quit_at");
	got = run_compare(b, n, 1.25);
	TEST_ASSERT(strstr(got, "scenario.quit_at is missing"), "got '%s'", got);
	set_scenario(n, "quit_at", json_string("never"));
	/* the writer never writes more than 65536: more is refused, not ground through */
	{
		json_t *big = json_array();

		for (size_t i = 0; i < 65537; i++)
			json_array_append_new(big, json_real(1));
		json_object_set_new(json_object_get(n, "samples"), "quit_us", big);
		got = run_compare(b, n, 1.25);
		TEST_ASSERT(strstr(got, "samples.quit_us has 65537 entries (a run writes at most 65536)"),
			    "got '%s'", got);
		json_object_set_new(json_object_get(n, "samples"), "quit_us", json_array());
	}
	/* text from a file never makes a line of its own, nor a broken string */
	json_object_set_new(n, "kind", json_string_nocheck("x\ny\xc3"));
	got = run_compare(b, n, 1.25);
	TEST_ASSERT(strstr(got, "kind is \"x?y?\", not") && !strchr(got, '\n'), "got '%s'", got);
	json_object_set_new(n, "kind", json_string("hvsmoke-run"));
	json_object_set_new(json_object_get(n, "host"), "kernel", json_string_nocheck("Linux\n# evil \xc3\xa9"));
	got = run_compare(b, n, 1.25);
	TEST_ASSERT(has_note("kernel Linux 6.18 -> Linux?# evil ??"), "kernel note not cleaned");
	set_scenario(n, "positive_controls", json_pack("[s]", "legacy smm\n"));
	got = run_compare(b, n, 1.25);
	TEST_ASSERT(strstr(got, "scenario.positive_controls[0] is not a control's name"), "got '%s'", got);
	set_scenario(n, "positive_controls", json_array());

	json_decref(b);
	b = json_string("x");
	got = run_compare(b, n, 1.25);
	TEST_ASSERT(strstr(got, "top level is not an object"), "got '%s'", got);
	json_decref(b);
	json_decref(n);
}

static void test_bootstrap(void)
{
	uint32_t a[300], c[300];
	double r1, l1, r2, l2;

	for (size_t i = 0; i < 300; i++) {
		a[i] = jitter(1000);
		c[i] = a[i] * 2;
	}
	compare_quantile_ratio(a, 300, a, 300, 0.5, &r1, &l1);
	TEST_ASSERT(r1 == 1.0 && l1 < 1.0 && l1 > 0.9, "same: ratio %f lower %f", r1, l1);
	compare_quantile_ratio(a, 300, c, 300, 0.5, &r1, &l1);
	compare_quantile_ratio(a, 300, c, 300, 0.5, &r2, &l2);
	TEST_ASSERT(fabs(r1 - 2.0) < 0.01 && l1 > 1.8 && l1 < 2.0, "x2: ratio %f lower %f", r1,
		    l1);
	TEST_ASSERT(r1 == r2 && l1 == l2, "not deterministic: %f vs %f", l1, l2);
	/*
	 * Blocks: a run whose level drifts (its samples rising in time order)
	 * must get a wider interval than the same values taken in random
	 * order; a bootstrap of single samples could not tell them apart.
	 */
	{
		uint32_t drift[200], mixed[200];
		double rd, ld, rm, lm;

		for (size_t i = 0; i < 200; i++)
			drift[i] = mixed[i] = 1000 + (uint32_t)i * 5;
		for (size_t i = 199; i > 0; i--) {
			size_t j = rng_next(&rng) % (i + 1);
			uint32_t t = mixed[i];

			mixed[i] = mixed[j];
			mixed[j] = t;
		}
		compare_quantile_ratio(drift, 200, drift, 200, 0.5, &rd, &ld);
		compare_quantile_ratio(mixed, 200, mixed, 200, 0.5, &rm, &lm);
		TEST_ASSERT(rd == 1.0 && rm == 1.0 && ld < lm - 0.05,
			    "drifting run's bound %f not wider than the shuffled one's %f", ld, lm);
	}
	/* one sample each side: the ratio of the two, bound equal */
	compare_quantile_ratio(a, 1, c, 1, 0.99, &r1, &l1);
	TEST_ASSERT(r1 == l1 && fabs(r1 - 2.0) < 0.01, "n=1: %f %f", r1, l1);
	/* zero microseconds reads as under one: no division by zero */
	a[0] = 0;
	c[0] = 0;
	compare_quantile_ratio(a, 1, c, 1, 0.5, &r1, &l1);
	TEST_ASSERT(r1 == 1.0 && l1 == 1.0, "zeros: %f %f", r1, l1);
}

int main(void)
{
	test_identical_and_noise();
	test_new_failure_class();
	test_positive_controls();
	test_latency();
	test_capabilities();
	test_skips();
	test_bad_input();
	test_bootstrap();
	return unit_done("test_compare");
}
