// SPDX-License-Identifier: GPL-2.0-only
/* Backend selection and the names shared by every backend's evidence. */
#include "accel.h"
#include "script/script.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The backend a name means, without probing; NULL if unknown. */
static const struct accel_ops *accel_lookup(const char *name)
{
	if (!strcmp(name, "kvm") || !strcmp(name, "auto"))
		return &kvm_accel_ops;
	if (!strcmp(name, "mshv"))
		return &mshv_accel_ops;
	if (!strncmp(name, "script:", 7))
		return &script_accel_ops;
	return NULL;
}

int accel_select(const char *name, const struct accel_ops **ops, struct accel_caps *caps,
		 char *why, size_t len)
{
	char kvm_why[160], mshv_why[160];
	int r;

	if (!strncmp(name, "script:", 7)) {
		if (script_load_file(name + 7, why, len))
			return -EINVAL;
		*ops = &script_accel_ops;
		return script_accel_ops.probe(caps, why, len);
	}
	if (strcmp(name, "auto")) {
		*ops = accel_lookup(name);
		if (!*ops) {
			snprintf(why, len, "unknown accelerator '%s'", name);
			return -EINVAL;
		}
		return (*ops)->probe(caps, why, len);
	}
	/* auto: KVM first, then MSHV; a skip names why neither is usable */
	*ops = &kvm_accel_ops;
	r = kvm_accel_ops.probe(caps, kvm_why, sizeof(kvm_why));
	if (!r)
		return 0;
	if (r != -ENODEV && r != -ENOTSUP) {
		snprintf(why, len, "%s", kvm_why);
		return r;
	}
	*ops = &mshv_accel_ops;
	r = mshv_accel_ops.probe(caps, mshv_why, sizeof(mshv_why));
	if (!r)
		return 0;
	snprintf(why, len, "no accelerator: kvm: %.150s; mshv: %.150s", kvm_why, mshv_why);
	*ops = &kvm_accel_ops;
	return r == -ENODEV || r == -ENOTSUP ? -ENODEV : r;
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
