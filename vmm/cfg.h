/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The fw_cfg config file (opt/hvsmoke/config) as the guest firmware reads it:
 * the C twin of guestfw/config.asm's checks, so the VMM, its tests and the
 * fuzzer can tell which files the firmware will run with and which it will
 * refuse (completion DONE_CONFIG). tests/fwconfig.bats proves the two agree.
 */
#ifndef HVSMOKE_CFG_H
#define HVSMOKE_CFG_H

#include <stddef.h>

#include "protocol.h"

/*
 * Decode a config file of len bytes, len being the size fw_cfg's file
 * directory gives for it. 0 with the fields in out when the firmware would
 * accept the file; -1 with a one-line reason in err (if errlen) when it
 * would stop with DONE_CONFIG. Bytes after the first HVSMOKE_CFG_SIZE are
 * ignored, as the firmware ignores them. An expected_cpus of 0 is accepted:
 * the count then comes from the board (FW_CFG_NB_CPUS), not from the file.
 */
int hvsmoke_cfg_decode(const void *buf, size_t len, struct hvsmoke_cfg *out, char *err,
		       size_t errlen);

/* The file's bytes for cfg: HVSMOKE_CFG_SIZE of them, little-endian. */
void hvsmoke_cfg_encode(const struct hvsmoke_cfg *cfg, void *buf);

#endif
