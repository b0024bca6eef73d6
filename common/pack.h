#ifndef AIRTIME_PACK_H
#define AIRTIME_PACK_H
/*
 * A flat byte encoding for values that cross a process boundary or are
 * kept as an opaque blob: a study's per-cell summary rows (sent from the
 * process that ran the cell to the one that stores it, over a pipe or
 * MPI, and kept in the study's journal) and the messages of dist/.
 *
 * Fixed-width little-endian integers, doubles as their IEEE-754 bit
 * pattern (so a value arrives bit for bit, NaN and -0 included), strings
 * and byte runs with a u64 length prefix.  No type tags: writer and reader
 * agree on the order, and a reader that runs past the end, or finds a
 * length larger than what is left, fails with ERR_CORRUPT instead of
 * reading garbage.
 *
 * Ownership: struct pack owns its bytes (pack_release frees them; a
 * zeroed struct is an empty pack).  struct unpack borrows the bytes it
 * reads; strings it returns are new (caller frees).
 */
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

struct pack {
	unsigned char *data;
	size_t len, cap;
};

void pack_init(struct pack *p);
void pack_release(struct pack *p);
/* Empty it, keeping the capacity. */
void pack_reset(struct pack *p);
/* Hand the bytes to the caller (who frees them) and empty the pack. */
void *pack_take(struct pack *p, size_t *len);

void pack_u8(struct pack *p, uint8_t v);
void pack_u32(struct pack *p, uint32_t v);
void pack_u64(struct pack *p, uint64_t v);
void pack_i64(struct pack *p, int64_t v);
void pack_f64(struct pack *p, double v);
/* A string (NULL packs as ""). */
void pack_str(struct pack *p, const char *s);
/* A run of bytes with its length. */
void pack_bytes(struct pack *p, const void *data, size_t len);
/* Bytes as they are, without a length (to build one pack from another). */
void pack_raw(struct pack *p, const void *data, size_t len);

/* A reader over borrowed bytes; `what` names them in messages ("cell 3's
 * summary"). */
struct unpack {
	const unsigned char *data;
	size_t len, pos;
	const char *what;
};

void unpack_init(struct unpack *u, const void *data, size_t len, const char *what);
/* Each returns 0, or ERR_CORRUPT naming `what` when the bytes run out. */
int unpack_u8(struct unpack *u, uint8_t *v, struct error *err);
int unpack_u32(struct unpack *u, uint32_t *v, struct error *err);
int unpack_u64(struct unpack *u, uint64_t *v, struct error *err);
int unpack_i64(struct unpack *u, int64_t *v, struct error *err);
int unpack_f64(struct unpack *u, double *v, struct error *err);
/* A new NUL-terminated string in *s (caller frees; NULL on failure). */
int unpack_str(struct unpack *u, char **s, struct error *err);
/* A byte run: *data points into the borrowed bytes. */
int unpack_bytes(struct unpack *u, const void **data, size_t *len, struct error *err);
/* 0 when every byte was read, ERR_CORRUPT when some are left over. */
int unpack_end(const struct unpack *u, struct error *err);

#endif
