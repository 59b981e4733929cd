/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The scripted accelerator: replays a stream of exits per vCPU instead of
 * running a guest, so the generic vCPU loop, the kick, the sync engine and
 * the quit path can be tested exactly as they run against KVM or MSHV,
 * including kicks that land at chosen points of the loop.
 */
#ifndef HVSMOKE_SCRIPT_H
#define HVSMOKE_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../accel.h"

enum script_semantics {
	SCRIPT_KVM,	/* an armed kick makes the next entry return -EINTR at once */
	SCRIPT_MSHV,	/* no immediate_exit: only a signal pending at entry does */
};

/* Per-vCPU counts a test reads after the threads stopped. */
struct script_vcpu_stats {
	uint64_t entries;		/* calls to run */
	uint64_t steps;			/* guest steps executed (exits produced) */
	uint64_t steps_after_request;	/* executed while an exit request was pending */
	uint64_t eintr;			/* entries that returned -EINTR */
	uint64_t blocked;		/* entries that waited in a never-exiting guest */
	uint64_t state_puts;		/* register write-backs */
	bool kick_fired;		/* the scripted kick-at happened */
};

/*
 * Load a script (text, see below); replaces any previous one. 0, or -1 with
 * a one-line reason in err naming the line. Numbers are decimal, or hex with
 * 0x; each must fit its field (32 bits at most), and a script without a vcpu
 * section is refused. Lines may end in CRLF.
 *
 *   semantics kvm|mshv
 *   vcpu N|all: STEP; STEP; ...       the last step repeats for ever
 *   kick-at N POINT ENTRY             raise vCPU N's exit request, as a kick
 *                                     would, at loop POINT of its ENTRY-th run
 * STEPs: io-out PORT VALUE [SIZE] | io-in PORT [SIZE] | event TYPE APIC ARG |
 *        done CODE | eintr | hlt | block | shutdown | mmio ADDR |
 *        after VCPU N (poll with POST writes until VCPU has entered N times)
 * POINTs: top after-disarm after-exit-check after-work before-run in-run
 *         after-run after-handle
 */
int script_load(const char *text, char *err, size_t errlen);
/* The same from len bytes that may hold anything (a NUL is refused); name is for errors. */
int script_load_buf(const char *name, const char *buf, size_t len, char *err, size_t errlen);
/* A regular file of at most 1 MiB; errors name it. */
int script_load_file(const char *path, char *err, size_t errlen);
/* Read after the vCPU's thread has stopped. */
void script_stats(unsigned int vcpu, struct script_vcpu_stats *out);
/* Safe while the vCPU runs. */
bool script_kick_fired(unsigned int vcpu);
/* In a never-exiting guest ("block"), where only a signal gets it out; safe while it runs. */
bool script_blocking(unsigned int vcpu);
/* Wake every vCPU blocked in a never-exiting guest (test teardown). */
void script_release_all(void);

/* Not const: its I/O completion follows the loaded script's semantics. */
extern struct accel_ops script_accel_ops;

#endif
