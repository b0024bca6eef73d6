/* Salted-hash assignment; see assign.h. */
#include "eval/assign.h"

#include "common/rng.h"

uint64_t assign_salt_hash(const char *salt)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (const unsigned char *p = (const unsigned char *)salt; *p; p++) {
		h ^= *p;
		h *= 0x100000001b3ULL;
	}
	return h;
}

size_t assign_arm(uint64_t salt_hash, uint32_t user, const double *shares, size_t n_arms)
{
	/* 53 well-mixed bits as a uniform in [0, 1): each share is exact up
	 * to 2^-53 (and the rounding of the cumulative sums). */
	uint64_t h = rng_hash4(salt_hash, 0x61622d74657374ULL /* "ab-test" */, user, 0);
	double u = (double)(h >> 11) * 0x1.0p-53, upto = 0;

	for (size_t i = 1; i < n_arms; i++) {
		upto += shares[i];
		if (u < upto)
			return i;
	}
	return ASSIGN_CONTROL;
}
