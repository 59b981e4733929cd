// SPDX-License-Identifier: GPL-2.0-only
/* Backend selection and the names shared by every backend's evidence. */
#include "accel.h"

#include <string.h>

const struct accel_ops *accel_lookup(const char *name)
{
	if (!strcmp(name, "kvm") || !strcmp(name, "auto"))
		return &kvm_accel_ops;
	return NULL;
}

const char *mp_state_name(uint32_t mp_state)
{
	/* KVM's numbering; other backends translate to it */
	static const char *const names[] = {
		"RUNNABLE", "UNINITIALIZED", "INIT_RECEIVED", "HALTED",
		"SIPI_RECEIVED", "STOPPED", "CHECK_STOP", "OPERATING", "LOAD",
		"AP_RESET_HOLD", "SUSPENDED",
	};

	return mp_state < sizeof(names) / sizeof(names[0]) ? names[mp_state] : "UNKNOWN";
}
