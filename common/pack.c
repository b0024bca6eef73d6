/* A flat byte encoding; see pack.h. */
#include "common/pack.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

void pack_init(struct pack *p)
{
	memset(p, 0, sizeof(*p));
}

void pack_release(struct pack *p)
{
	free(p->data);
	pack_init(p);
}

void pack_reset(struct pack *p)
{
	p->len = 0;
}

void *pack_take(struct pack *p, size_t *len)
{
	void *d = p->data;

	*len = p->len;
	pack_init(p);
	return d;
}

static unsigned char *room(struct pack *p, size_t n)
{
	unsigned char *at;

	ASSERT(n <= SIZE_MAX - p->len);
	XGROW(p->data, p->len + n, p->cap);
	at = p->data + p->len;
	p->len += n;
	return at;
}

static void put_le(struct pack *p, uint64_t v, size_t bytes)
{
	unsigned char *at = room(p, bytes);

	for (size_t i = 0; i < bytes; i++)
		at[i] = (unsigned char)(v >> (8 * i));
}

void pack_u8(struct pack *p, uint8_t v)
{
	put_le(p, v, 1);
}

void pack_u32(struct pack *p, uint32_t v)
{
	put_le(p, v, 4);
}

void pack_u64(struct pack *p, uint64_t v)
{
	put_le(p, v, 8);
}

void pack_i64(struct pack *p, int64_t v)
{
	put_le(p, (uint64_t)v, 8);
}

void pack_f64(struct pack *p, double v)
{
	uint64_t bits;

	_Static_assert(sizeof(bits) == sizeof(v), "IEEE-754 binary64");
	memcpy(&bits, &v, sizeof(bits));
	put_le(p, bits, 8);
}

void pack_raw(struct pack *p, const void *data, size_t len)
{
	if (len)
		memcpy(room(p, len), data, len);
}

void pack_bytes(struct pack *p, const void *data, size_t len)
{
	pack_u64(p, (uint64_t)len);
	pack_raw(p, data, len);
}

void pack_str(struct pack *p, const char *s)
{
	pack_bytes(p, s ? s : "", s ? strlen(s) : 0);
}

void unpack_init(struct unpack *u, const void *data, size_t len, const char *what)
{
	u->data = data;
	u->len = data ? len : 0;
	u->pos = 0;
	u->what = what ? what : "packed data";
}

static int short_read(const struct unpack *u, size_t want, struct error *err)
{
	return error_set(err, ERR_CORRUPT, "%s is cut short: %zu bytes wanted at offset %zu of %zu",
			 u->what, want, u->pos, u->len);
}

static int get_le(struct unpack *u, uint64_t *v, size_t bytes, struct error *err)
{
	uint64_t x = 0;

	if (u->len - u->pos < bytes)
		return short_read(u, bytes, err);
	for (size_t i = 0; i < bytes; i++)
		x |= (uint64_t)u->data[u->pos + i] << (8 * i);
	u->pos += bytes;
	*v = x;
	return 0;
}

int unpack_u8(struct unpack *u, uint8_t *v, struct error *err)
{
	uint64_t x = 0;
	int rc = get_le(u, &x, 1, err);

	if (rc == 0)
		*v = (uint8_t)x;
	return rc;
}

int unpack_u32(struct unpack *u, uint32_t *v, struct error *err)
{
	uint64_t x = 0;
	int rc = get_le(u, &x, 4, err);

	if (rc == 0)
		*v = (uint32_t)x;
	return rc;
}

int unpack_u64(struct unpack *u, uint64_t *v, struct error *err)
{
	return get_le(u, v, 8, err);
}

int unpack_i64(struct unpack *u, int64_t *v, struct error *err)
{
	uint64_t x = 0;
	int rc = get_le(u, &x, 8, err);

	if (rc == 0)
		*v = (int64_t)x;
	return rc;
}

int unpack_f64(struct unpack *u, double *v, struct error *err)
{
	uint64_t x = 0;
	int rc = get_le(u, &x, 8, err);

	if (rc == 0)
		memcpy(v, &x, sizeof(*v));
	return rc;
}

int unpack_bytes(struct unpack *u, const void **data, size_t *len, struct error *err)
{
	uint64_t n = 0;
	int rc = get_le(u, &n, 8, err);

	if (rc < 0)
		return rc;
	if (n > u->len - u->pos)
		return short_read(u, n > SIZE_MAX ? SIZE_MAX : (size_t)n, err);
	*data = u->data + u->pos;
	*len = (size_t)n;
	u->pos += (size_t)n;
	return 0;
}

int unpack_str(struct unpack *u, char **s, struct error *err)
{
	const void *d;
	size_t n;
	int rc = unpack_bytes(u, &d, &n, err);

	*s = NULL;
	if (rc < 0)
		return rc;
	if (memchr(d, '\0', n))
		return error_set(err, ERR_CORRUPT, "%s holds a string with a NUL byte", u->what);
	*s = xcalloc(n + 1, 1);
	memcpy(*s, d, n);
	return 0;
}

int unpack_end(const struct unpack *u, struct error *err)
{
	if (u->pos != u->len)
		return error_set(err, ERR_CORRUPT, "%s has %zu bytes left over", u->what,
				 u->len - u->pos);
	return 0;
}
