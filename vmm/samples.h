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
/* The nearest rank (1..n) of the q-quantile, q in [0,1], among n > 0 samples. */
size_t samples_rank(size_t n, double q);

#endif
