/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Teardown off the boot path. Closing a KVM VM built memslots-first waits
 * out grace periods in the kernel (about 15 ms on this project's hosts, for
 * the first of a batch), while the next VM could already be booting; a
 * background thread does the closing, and VMs closed together share the
 * wait. The queue is bounded, so a kernel that stops keeping up slows the
 * boots down instead of piling up VMs.
 */
#ifndef HVSMOKE_REAPER_H
#define HVSMOKE_REAPER_H

#include <stdbool.h>
#include <stdint.h>

#define REAPER_MAX_PENDING	16	/* VMs handed over and not yet closed */
#define REAPER_WAIT_MS		10000	/* for a free slot, or for the drain */

/*
 * Run destroy(arg) on the reaper thread. False if it could not be handed
 * over within REAPER_WAIT_MS (the reaper is stuck in the kernel) or the
 * thread cannot start: then nothing was done and arg is still the caller's.
 */
bool reaper__submit(void (*destroy)(void *arg), void *arg);
/* Wait until everything handed over is destroyed; false past deadline_ns. */
bool reaper__drain(uint64_t deadline_ns);

#endif
