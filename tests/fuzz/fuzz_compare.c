// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: any bytes as a run's JSON, compared as NEW against a
 * real run, as BASE against it, and against itself. compare either refuses
 * it with one line or compares it; it never crashes, and every check it
 * makes is one of the documented outcomes.
 */
#include "../../vmm/compare.h"

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A real 2-vCPU run, trimmed: the shape the fuzzer mutates from the corpus too. */
static const char base_text[] =
	"{\"schema_version\": 1, \"kind\": \"hvsmoke-run\", \"hvsmoke_version\": \"0.2.0\","
	"\"started_utc\": \"2026-11-26T00:00:00Z\", \"verdict\": \"pass\", \"seed\": 1,"
	"\"iterations_run\": 3, \"passed\": 3, \"failures_total\": 0, \"classes\": {\"pass\": 3,"
	"\"ap-missing\": 0, \"ap-duplicate\": 0, \"ap-reset\": 0, \"boot-timeout\": 0,"
	"\"guest-crash\": 0, \"vmm-error\": 0, \"quit-timeout\": 0, \"smm-missing\": 0,"
	"\"smm-stuck\": 0, \"smm-relocation\": 0}, \"smm\": {\"mode\": \"auto\", \"ran\": false},"
	"\"first_failure\": null, \"scenario\": {\"target\": \"native\", \"accel\": \"kvm\","
	"\"cpus\": 2, \"ipi_pattern\": \"hvsmoke\", \"sync_policy\": \"fixed\","
	"\"sync_hammer\": \"off\", \"sync_targets\": \"all\", \"kick\": \"exit-request\","
	"\"storm_ms\": 0, \"quit_at\": \"never\", \"quit_deadline_ms\": 500,"
	"\"boot_timeout_ms\": 2000, \"smm\": \"auto\", \"reuse\": false, \"machine\": null,"
	"\"qemu_accel\": null, \"firmware\": {\"variant\": \"standard\"},"
	"\"positive_controls\": []}, \"samples\": {\"boot_us\": [1, 2, 3],"
	"\"boot_iteration\": [1, 2, 3], \"quit_us\": [], \"monitor_us\": []},"
	"\"boot_classes\": \"PPP\", \"host_load\": null, \"host\": {\"kernel\": \"k\", \"cpu_model\": \"c\","
	"\"caps\": {\"IRQCHIP\": 1, \"SPLIT_IRQCHIP\": 1, \"IMMEDIATE_EXIT\": 1, \"MP_STATE\": 1,"
	"\"VCPU_EVENTS\": 1, \"READONLY_MEM\": 1, \"X86_SMM\": 0, \"GET_TSC_KHZ\": 1,"
	"\"NR_VCPUS\": 2, \"MAX_VCPUS\": 1024}, \"backends\": {\"kvm\": {\"available\": true},"
	"\"mshv\": {\"available\": false}}}}";

static void check(const struct cmp_result *r, int ret, const char *why)
{
	if (ret) {
		assert(why[0] && !strchr(why, '\n'));
		return;
	}
	assert(r->nchecks > 0 && r->nchecks <= CMP_MAX_CHECKS);
	for (size_t i = 0; i < r->nchecks; i++) {
		assert(r->checks[i].result <= CO_SKIP && r->checks[i].kind <= CK_CAPABILITY);
		assert(r->checks[i].id[0] && !strchr(r->checks[i].detail, '\n'));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cmp_result r;
	json_t *base = json_loads(base_text, JSON_DECODE_INT_AS_REAL, NULL);
	json_t *j = json_loadb((const char *)data, size,
			       JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL, NULL);
	char why[512];
	int ret;

	assert(base);
	if (j) {
		why[0] = '\0';
		ret = compare_runs(base, "base", j, "new", 1.25, &r, why, sizeof(why));
		check(&r, ret, why);
		why[0] = '\0';
		ret = compare_runs(j, "base", base, "new", 1.25, &r, why, sizeof(why));
		check(&r, ret, why);
		why[0] = '\0';
		ret = compare_runs(j, "base", j, "new", 1.0, &r, why, sizeof(why));
		check(&r, ret, why);
		json_decref(j);
	}
	json_decref(base);
	return 0;
}
