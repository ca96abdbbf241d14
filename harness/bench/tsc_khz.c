// SPDX-License-Identifier: GPL-2.0-only
/*
 * tsc_khz: print the host's TSC rate in kHz, measured against
 * CLOCK_MONOTONIC_RAW over half a second.  Under TCG the guest reads the
 * host's TSC, so harness/bench/run.sh boots both kernels with
 * tsc_early_khz=<this>: a loaded host makes the guest's PIT calibration
 * fail, which would leave it on a jiffies clocksource.
 */
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <x86intrin.h>

static int64_t ns_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(void)
{
	struct timespec half = { 0, 500 * 1000 * 1000 };
	int64_t t0, t1;
	uint64_t c0, c1;

	t0 = ns_now();
	c0 = __rdtsc();
	nanosleep(&half, NULL);
	c1 = __rdtsc();
	t1 = ns_now();
	printf("%llu\n", (unsigned long long)((c1 - c0) * 1000000ULL / (uint64_t)(t1 - t0)));
	return 0;
}
