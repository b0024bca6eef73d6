/* Declared profile topics; see profile.h. */
#include "engine/profile.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

/* Rows arrive in any order, so each user keeps (start, len) into a pool
 * that only grows; a profile is built once per run. */
struct profile {
	uint32_t n_users;
	uint32_t *start;    /* [n_users] index into topics */
	uint16_t *len;      /* [n_users]; 0 = nothing declared */
	bool *set;          /* [n_users] declared already */
	uint16_t *topics;
	size_t n_topics, cap_topics;
};

struct profile *profile_new(uint32_t n_users)
{
	struct profile *p = xcalloc(1, sizeof(*p));

	p->n_users = n_users;
	p->start = xcalloc(n_users ? n_users : 1, sizeof(*p->start));
	p->len = xcalloc(n_users ? n_users : 1, sizeof(*p->len));
	p->set = xcalloc(n_users ? n_users : 1, sizeof(*p->set));
	return p;
}

void profile_free(struct profile *p)
{
	if (!p)
		return;
	free(p->start);
	free(p->len);
	free(p->set);
	free(p->topics);
	free(p);
}

int profile_set(struct profile *p, uint32_t user, const uint16_t *topics, size_t n,
		struct error *err)
{
	if (user >= p->n_users)
		return error_set(err, ERR_INPUT, "profile: unknown user %u (table has %u users)",
				 user, p->n_users);
	if (p->set[user])
		return error_set(err, ERR_INPUT, "profile: user %u declared twice", user);
	if (n > UINT16_MAX)
		return error_set(err, ERR_INPUT, "profile: user %u declares %zu topics (at most %u)",
				 user, n, (unsigned)UINT16_MAX);
	for (size_t i = 0; i < n; i++) {
		if (topics[i] == UINT16_MAX)
			return error_set(err, ERR_INPUT, "profile: user %u: topic %u is reserved",
					 user, (unsigned)UINT16_MAX);
		for (size_t j = 0; j < i; j++)
			if (topics[j] == topics[i])
				return error_set(err, ERR_INPUT, "profile: user %u declares topic %u twice",
						 user, topics[i]);
	}
	if (p->n_topics + n > UINT32_MAX)
		return error_set(err, ERR_INPUT, "profile: too many declared topics in total");
	XGROW(p->topics, p->n_topics + n, p->cap_topics);
	if (n)
		memcpy(p->topics + p->n_topics, topics, n * sizeof(*topics));
	p->start[user] = (uint32_t)p->n_topics;
	p->len[user] = (uint16_t)n;
	p->set[user] = true;
	p->n_topics += n;
	return 0;
}

uint32_t profile_user_count(const struct profile *p)
{
	return p->n_users;
}

size_t profile_topics(const struct profile *p, uint32_t user, const uint16_t **topics)
{
	if (user >= p->n_users || !p->len[user]) {
		*topics = NULL;
		return 0;
	}
	*topics = p->topics + p->start[user];
	return p->len[user];
}

bool profile_has_topic(const struct profile *p, uint32_t user, uint16_t topic)
{
	const uint16_t *t;
	size_t n = profile_topics(p, user, &t);

	for (size_t i = 0; i < n; i++)
		if (t[i] == topic)
			return true;
	return false;
}
