// SPDX-License-Identifier: GPL-2.0-only
/*
 * Proves a quit that arrives while a boot's VM is being built ends that boot
 * before any vCPU thread starts: no thread can be stuck, nothing is counted
 * as a quit-timeout, and the boot is marked as never run. A quit that comes
 * once the threads run is still timed from when they could see it.
 */
#include "../../vmm/boot.h"
#include "../../vmm/control.h"
#include "../../vmm/devices/platform.h"
#include "../../vmm/reaper.h"
#include "../../vmm/script/script.h"
#include "../../vmm/util.h"
#include "../../vmm/vcpu.h"
#include "unit.h"

#include <string.h>

static uint8_t fw[65536];

static void params(struct boot_params *bp, struct control *ctl)
{
	memset(bp, 0, sizeof(*bp));
	bp->ops = &script_accel_ops;
	bp->fw = fw;
	bp->fw_size = sizeof(fw);
	bp->cpus = 2;
	bp->boot_timeout_ms = 2000;
	bp->quit_at_ms = -1;
	bp->quit_deadline_ms = 1;	/* already over when the build is done */
	bp->ctl = ctl;
	bp->iteration = 1;
}

static void test_quit_during_build(void)
{
	struct boot_params bp;
	struct boot_result *r = boot_result_alloc(2);
	struct control ctl;
	char err[128];
	bool safe;

	/* a guest that never exits: only the stop path can end its threads */
	TEST_ASSERT(script_load("semantics mshv\nvcpu all: block\n", err, sizeof(err)) == 0,
		    "%s", err);
	control_init(&ctl, 2);
	params(&bp, &ctl);
	/* the quit lands after the run loop's check, while this boot is built */
	control_quit(&ctl, QUIT_SIGNAL);
	safe = boot_run(&bp, r);
	TEST_ASSERT(safe, "the process may go on (no thread is stuck)");
	TEST_ASSERT(r->not_run, "the boot is marked as never run");
	TEST_ASSERT(r->stuck_threads == 0 && r->cls != FC_QUIT_TIMEOUT,
		    "no quit-timeout: %u stuck, class %s", r->stuck_threads, fail_class_name(r->cls));
	TEST_ASSERT(r->vcpus[0].entries == 0 && r->vcpus[1].entries == 0,
		    "no vCPU ever entered the guest");
	/* its VM went to the reaper: closed before we go on, nothing leaked */
	TEST_ASSERT(reaper__drain(now_ns() + 5000000000ull), "the reaper did not finish");
	control_destroy(&ctl);
	boot_result_free(r);
}

int main(void)
{
	vcpu__init_signals();
	test_quit_during_build();
	return unit_done("test_boot");
}
