/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The emulated board: the port devices (debugcon, event channel, completion,
 * fw_cfg, POST) and what one boot's vCPUs tell it. One lock guards it all;
 * the hot ignorable ports (POST) only touch atomics.
 */
#ifndef HVSMOKE_PLATFORM_H
#define HVSMOKE_PLATFORM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "../accel.h"
#include "../vcpu.h"
#include "events.h"
#include "fwcfg.h"

enum platform_abort {
	ABORT_NONE,
	ABORT_QUIT,	/* quit: the vCPU threads must all be out by the quit deadline */
	ABORT_RESET,	/* system_reset: this boot is dropped and run again */
};

struct platform {
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* "finished" changed; CLOCK_MONOTONIC */
	struct fwcfg fwcfg;
	struct ev_log log;

	pthread_mutex_t con_lock;	/* the console line; never held with lock */
	bool console_to_stderr;
	bool smm;			/* PORT_APM_CNT raises SMIs */
	uint32_t tsc_khz;		/* the guest's TSC rate, as its config says */
	uint64_t smis;			/* raised through PORT_APM_CNT */
	int smi_error;			/* -errno of the first failed SMI */
	char con_line[160];
	size_t con_len;

	bool finished;			/* completion written, guest crashed or VMM failed */
	int completion;			/* -1 until the guest writes PORT_COMPLETION */
	unsigned int completion_vcpu;
	uint64_t t_completion_ns;

	int crash_vcpu;			/* -1: none */
	struct vcpu_exit crash_exit;
	int vmm_error;			/* -errno from the run ioctl; 0: none */
	int vmm_error_vcpu;

	enum platform_abort abort;	/* the boot was ended from outside */
	uint64_t t_abort_ns;

	atomic_uint_fast64_t post_writes;
	atomic_uint_fast64_t unhandled_io;
	atomic_uint_fast64_t mmio_exits;
};

void platform__init(struct platform *p, unsigned int ncpus, const struct hvsmoke_cfg *cfg,
		    bool console_to_stderr, bool smm);
void platform__destroy(struct platform *p);

enum vcpu_action platform__handle_exit(void *ctx, struct vcpu *vcpu, struct vcpu_exit *exit);
void platform__run_failed(void *ctx, struct vcpu *vcpu, int err);

/* End the boot from outside (first reason wins). Never blocks for long. */
void platform__abort(struct platform *p, enum platform_abort why, uint64_t t_ns);
/* The VMM's deadline passed: the boot has ended, and a quit or reset after it changes nothing. */
void platform__time_out(struct platform *p);

/* Wait until finished or deadline_ns. Returns true if finished. */
bool platform__wait(struct platform *p, uint64_t deadline_ns);

#endif
