/* SPDX-License-Identifier: GPL-2.0-only */
/* QEMU's `info registers [-a]` text, read back into the facts the evidence lines show. */
#ifndef HVSMOKE_QEMU_REGS_H
#define HVSMOKE_QEMU_REGS_H

#include <stdbool.h>
#include <stddef.h>

#include "../accel.h"

/* Where CPU#cpu's block starts in an `info registers -a` dump, and its length; NULL if absent. */
const char *qemu_regs_find(const char *dump, unsigned int cpu, size_t *len);
/*
 * Parse one CPU's block (EIP/RIP, CS selector and base, SMM, HLT) into b.
 * 0, or -1 if the text is not a register dump. mp_state and vCPU events
 * are not in QEMU's text: they stay invalid.
 */
int qemu_regs_parse(const char *text, size_t len, struct vcpu_brief *b, bool *halted);

#endif
