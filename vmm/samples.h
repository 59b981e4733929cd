/* SPDX-License-Identifier: GPL-2.0-only */
/* A growable list of microsecond samples for percentiles. */
#ifndef HVSMOKE_SAMPLES_H
#define HVSMOKE_SAMPLES_H

#include <stddef.h>
#include <stdint.h>

struct samples {
	uint32_t *v;
	size_t n;
	size_t cap;
};

void samples_add(struct samples *s, uint64_t us);
/* Nearest-rank percentile, p in [0,100]; 0 with no samples. */
uint32_t samples_percentile(const struct samples *s, double p);

#endif
