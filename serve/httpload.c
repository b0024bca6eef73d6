/* Open-loop HTTP load over libcurl's multi interface; see httpload.h. */
#include "serve/httpload.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <curl/curl.h>

#include "common/version.h"
#include "common/strbuf.h"
#include "common/xalloc.h"

/* A body larger than this is cut (and fails a JSON check). */
#define BODY_MAX (4u << 20)
#define JSON_DEPTH 64

const char *httpload_kind_name(enum httpload_kind k)
{
	static const char *const names[HTTPLOAD_KINDS] = {
		"pending", "ok", "connect", "timeout", "http_4xx", "http_5xx", "bad_body", "other",
		"dropped",
	};

	return (unsigned)k < HTTPLOAD_KINDS ? names[k] : "?";
}

/* ---- templates ---- */

enum var { VAR_NONE, VAR_USER, VAR_K, VAR_I, VAR_TIME };

struct seg {
	enum var var;
	const char *text;         /* VAR_NONE: literal (into the template's copy) */
	size_t len;
};

struct tmpl {
	char *copy;               /* literal text, "{{" unescaped */
	struct seg *seg;
	size_t n;
};

static const struct {
	const char *name;
	enum var var;
} vars[] = { { "user", VAR_USER }, { "k", VAR_K }, { "i", VAR_I }, { "time", VAR_TIME } };

static void tmpl_release(struct tmpl *t)
{
	free(t->copy);
	free(t->seg);
	memset(t, 0, sizeof(*t));
}

static int tmpl_compile(struct tmpl *t, const char *src, const char *what, struct error *err)
{
	size_t len = strlen(src), cap = 0, o = 0;
	const char *p = src;

	memset(t, 0, sizeof(*t));
	t->copy = xcalloc(len + 1, 1);
	while (*p) {
		if (p[0] == '{' && p[1] != '{') {
			const char *close = strchr(p, '}');
			size_t k, nl;

			if (!close) {
				tmpl_release(t);
				return error_set(err, ERR_INPUT, "%s '%s': unclosed '{' (write '{{' for a "
						 "literal brace)", what, src);
			}
			nl = (size_t)(close - p - 1);
			for (k = 0; k < sizeof(vars) / sizeof(vars[0]); k++)
				if (strlen(vars[k].name) == nl && !strncmp(vars[k].name, p + 1, nl))
					break;
			if (k == sizeof(vars) / sizeof(vars[0])) {
				tmpl_release(t);
				return error_set(err, ERR_INPUT, "%s '%s': unknown placeholder '{%.*s}' "
						 "(known: {user}, {k}, {i}, {time})", what, src,
						 (int)(nl > 40 ? 40 : nl), p + 1);
			}
			XGROW(t->seg, t->n + 1, cap);
			t->seg[t->n++] = (struct seg){ vars[k].var, NULL, 0 };
			p = close + 1;
			continue;
		}
		/* A literal run up to the next brace. */
		{
			size_t start = o;

			for (;;) {
				if (p[0] == '{' && p[1] == '{') {
					t->copy[o++] = '{';
					p += 2;
					continue;
				}
				if (!*p || *p == '{')
					break;
				t->copy[o++] = *p++;
			}
			XGROW(t->seg, t->n + 1, cap);
			t->seg[t->n++] = (struct seg){ VAR_NONE, t->copy + start, o - start };
		}
	}
	return 0;
}

int httpload_template_check(const char *src, const char *what, struct error *err)
{
	struct tmpl t;

	if (tmpl_compile(&t, src, what, err) < 0)
		return err->code;
	tmpl_release(&t);
	return 0;
}

static void tmpl_expand(const struct tmpl *t, struct strbuf *b, uint32_t user, uint32_t k,
			uint64_t i, simtime time)
{
	char num[32];

	strbuf_reset(b);
	strbuf_grow(b, 0);
	for (size_t j = 0; j < t->n; j++) {
		const struct seg *s = &t->seg[j];
		int n = 0;

		switch (s->var) {
		case VAR_NONE: strbuf_add(b, s->text, s->len); continue;
		case VAR_USER: n = snprintf(num, sizeof(num), "%u", user); break;
		case VAR_K: n = snprintf(num, sizeof(num), "%u", k); break;
		case VAR_I: n = snprintf(num, sizeof(num), "%llu", (unsigned long long)i); break;
		case VAR_TIME: n = snprintf(num, sizeof(num), "%lld", (long long)time); break;
		}
		strbuf_add(b, num, (size_t)n);
	}
}

/* ---- the target ---- */

static bool loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)sa;

		return (ntohl(a->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;

		if (IN6_IS_ADDR_LOOPBACK(a))
			return true;
		/* ::ffff:127.x.y.z */
		return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127;
	}
	return false;
}

static void addr_text(const struct sockaddr *sa, char *out, size_t n)
{
	const void *a = sa->sa_family == AF_INET
				? (const void *)&((const struct sockaddr_in *)sa)->sin_addr
				: (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr;

	if (!inet_ntop(sa->sa_family, a, out, (socklen_t)n))
		snprintf(out, n, "?");
}

int httpload_check_target(const char *url, bool allow_remote, char *pin, size_t pin_cap,
			  struct error *err)
{
	const char *auth, *end;
	char host[256], port[16] = "", first[INET6_ADDRSTRLEN + 2] = "";
	struct addrinfo hints, *res = NULL, *ai;
	bool https, literal;
	size_t hl;
	int rc = 0, g;

	pin[0] = '\0';
	if (!strncmp(url, "http://", 7))
		https = false;
	else if (!strncmp(url, "https://", 8))
		https = true;
	else
		return error_set(err, ERR_INPUT, "target '%s': only http:// and https:// URLs", url);
	auth = url + (https ? 8 : 7);
	end = auth + strcspn(auth, "/?#");
	if (memchr(auth, '{', (size_t)(end - auth)) || memchr(auth, '@', (size_t)(end - auth)))
		return error_set(err, ERR_INPUT, "target '%s': the host and port cannot hold a "
				 "placeholder or user name", url);
	if (*auth == '[') {
		const char *rb = memchr(auth, ']', (size_t)(end - auth));

		if (!rb)
			return error_set(err, ERR_INPUT, "target '%s': unclosed '[' in the host", url);
		hl = (size_t)(rb - auth - 1);
		if (hl == 0 || hl >= sizeof(host))
			return error_set(err, ERR_INPUT, "target '%s': bad host", url);
		memcpy(host, auth + 1, hl);
		host[hl] = '\0';
		if (rb + 1 < end && rb[1] == ':')
			snprintf(port, sizeof(port), "%.*s", (int)(end - rb - 2), rb + 2);
	} else {
		const char *colon = memchr(auth, ':', (size_t)(end - auth));

		hl = (size_t)((colon ? colon : end) - auth);
		if (hl == 0 || hl >= sizeof(host))
			return error_set(err, ERR_INPUT, "target '%s': missing or too long host", url);
		memcpy(host, auth, hl);
		host[hl] = '\0';
		if (colon)
			snprintf(port, sizeof(port), "%.*s", (int)(end - colon - 1), colon + 1);
	}
	if (!port[0])
		snprintf(port, sizeof(port), "%s", https ? "443" : "80");
	{
		char *e;
		long p;

		errno = 0;
		p = strtol(port, &e, 10);
		if (errno || *e || p < 1 || p > 65535)
			return error_set(err, ERR_INPUT, "target '%s': bad port '%s'", url, port);
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST;
	literal = getaddrinfo(host, port, &hints, &res) == 0;
	if (!literal) {
		hints.ai_flags = 0;
		if ((g = getaddrinfo(host, port, &hints, &res)) != 0)
			return error_set(err, ERR_INPUT, "target '%s': cannot resolve '%s': %s", url,
					 host, gai_strerror(g));
	}
	for (ai = res; ai; ai = ai->ai_next) {
		char a[INET6_ADDRSTRLEN];

		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		addr_text(ai->ai_addr, a, sizeof(a));
		if (!loopback(ai->ai_addr) && !allow_remote) {
			rc = error_set(err, ERR_INPUT, "target '%s': '%s' resolves to %s, outside "
				       "loopback (127.0.0.0/8, ::1); pass --allow-remote to load-test "
				       "another host", url, host, a);
			goto out;
		}
		if (!first[0])
			snprintf(first, sizeof(first), ai->ai_family == AF_INET6 ? "[%s]" : "%s", a);
	}
	if (!first[0]) {
		rc = error_set(err, ERR_INPUT, "target '%s': '%s' has no IPv4 or IPv6 address", url,
			       host);
		goto out;
	}
	/* Pin the checked address: curl must not resolve the name again. */
	if (!literal)
		snprintf(pin, pin_cap, "%s:%s:%s", host, port, first);
out:
	freeaddrinfo(res);
	return rc;
}

/* ---- a small JSON checker ---- */

struct json {
	const char *p, *end;
	int depth;
};

static void json_ws(struct json *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t'))
		j->p++;
}

static bool json_lit(struct json *j, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n))
		return false;
	j->p += n;
	return true;
}

/* A string; when out, its raw bytes (escapes kept) go there. */
static bool json_string(struct json *j, const char **start, size_t *len)
{
	const char *s;

	if (j->p >= j->end || *j->p != '"')
		return false;
	s = ++j->p;
	while (j->p < j->end && *j->p != '"') {
		if ((unsigned char)*j->p < 0x20)
			return false;
		if (*j->p == '\\') {
			j->p++;
			if (j->p >= j->end)
				return false;
			if (*j->p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (j->p + i >= j->end ||
					    !strchr("0123456789abcdefABCDEF", j->p[i]) || !j->p[i])
						return false;
				j->p += 4;
			} else if (!strchr("\"\\/bfnrt", *j->p) || !*j->p) {
				return false;
			}
		}
		j->p++;
	}
	if (j->p >= j->end)
		return false;
	if (start) {
		*start = s;
		*len = (size_t)(j->p - s);
	}
	j->p++;
	return true;
}

static bool json_number(struct json *j)
{
	const char *s = j->p;

	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p >= j->end || *j->p < '0' || *j->p > '9')
		return false;
	if (*j->p == '0')
		j->p++;
	else
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (j->p >= j->end || *j->p < '0' || *j->p > '9')
			return false;
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (j->p >= j->end || *j->p < '0' || *j->p > '9')
			return false;
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	return j->p > s;
}

/* A value; *elems counts an array's elements (when not NULL). */
static bool json_value(struct json *j, size_t *elems);

static bool json_array(struct json *j, size_t *elems)
{
	size_t n = 0;

	j->p++;
	json_ws(j);
	if (j->p < j->end && *j->p == ']') {
		j->p++;
		goto done;
	}
	for (;;) {
		if (!json_value(j, NULL))
			return false;
		n++;
		json_ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p < j->end && *j->p == ']') {
			j->p++;
			break;
		}
		return false;
	}
done:
	if (elems)
		*elems = n;
	return true;
}

static bool json_object(struct json *j, const char *key, long *key_elems)
{
	j->p++;
	json_ws(j);
	if (j->p < j->end && *j->p == '}') {
		j->p++;
		return true;
	}
	for (;;) {
		const char *k;
		size_t kl, elems = 0;
		bool is_key;

		json_ws(j);
		if (!json_string(j, &k, &kl))
			return false;
		json_ws(j);
		if (j->p >= j->end || *j->p != ':')
			return false;
		j->p++;
		json_ws(j);
		is_key = key && strlen(key) == kl && !memcmp(k, key, kl);
		if (is_key && (j->p >= j->end || *j->p != '['))
			*key_elems = -1;
		if (!json_value(j, is_key ? &elems : NULL))
			return false;
		if (is_key && *key_elems != -1)
			*key_elems = (long)elems;
		json_ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p < j->end && *j->p == '}') {
			j->p++;
			return true;
		}
		return false;
	}
}

static bool json_value(struct json *j, size_t *elems)
{
	bool ok;

	json_ws(j);
	if (j->p >= j->end)
		return false;
	if (++j->depth > JSON_DEPTH)
		return false;
	switch (*j->p) {
	case '{': ok = json_object(j, NULL, NULL); break;
	case '[': ok = json_array(j, elems); break;
	case '"': ok = json_string(j, NULL, NULL); break;
	case 't': ok = json_lit(j, "true"); break;
	case 'f': ok = json_lit(j, "false"); break;
	case 'n': ok = json_lit(j, "null"); break;
	default: ok = json_number(j); break;
	}
	j->depth--;
	return ok;
}

bool httpload_body_ok(const char *body, size_t n, const char *key)
{
	struct json j = { body, body + n, 0 };
	long elems = -2;   /* -2: key absent */

	json_ws(&j);
	if (key) {
		if (j.p >= j.end || *j.p != '{')
			return false;
		j.depth = 1;
		if (!json_object(&j, key, &elems))
			return false;
	} else if (!json_value(&j, NULL)) {
		return false;
	}
	json_ws(&j);
	if (j.p != j.end)
		return false;
	return !key || elems > 0;
}

/* ---- the run ---- */

struct slot {
	CURL *h;
	struct strbuf url, body, reply;
	struct strbuf *hdr;            /* n_headers expanded headers */
	struct curl_slist *hl;
	size_t i;                   /* the request in flight */
	bool busy;
	char errbuf[CURL_ERROR_SIZE];
};

struct loop {
	const struct httpload_config *cfg;
	const struct loadtest_schedule *s;
	const struct httpload_vars *v;
	struct httpload_report *rep;
	struct tmpl url, body, *hdr;
	struct slot *slots;
	size_t *free_slots, n_free;
	CURLM *multi;
	struct curl_slist *pin;
	int tfd;
	int64_t t0;
};

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
	struct strbuf *b = ctx;
	size_t k = size * n, room = b->len < BODY_MAX ? BODY_MAX - b->len : 0;

	strbuf_add(b, data, k < room ? k : room);
	return k;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void note_error(struct loop *L, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note_error(struct loop *L, const char *fmt, ...)
{
	va_list ap;

	if (L->rep->first_error[0])
		return;
	va_start(ap, fmt);
	vsnprintf(L->rep->first_error, sizeof(L->rep->first_error), fmt, ap);
	va_end(ap);
}

static int slot_setup(struct loop *L, struct slot *sl, size_t idx, struct error *err)
{
	const struct httpload_config *c = L->cfg;
	CURL *h = curl_easy_init();

	if (!h)
		return error_set(err, ERR_RUN, "load test: cannot create a libcurl handle");
	sl->h = h;
	sl->hdr = xcalloc(c->n_headers + 1, sizeof(*sl->hdr));
	curl_easy_setopt(h, CURLOPT_PRIVATE, (void *)(uintptr_t)idx);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(h, CURLOPT_PROXY, "");
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &sl->reply);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, sl->errbuf);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)((c->timeout_ns + 999999) / 1000000));
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)((c->timeout_ns + 999999) / 1000000));
	curl_easy_setopt(h, CURLOPT_USERAGENT, "airtime-loadtest");
	if (L->pin)
		curl_easy_setopt(h, CURLOPT_RESOLVE, L->pin);
	if (c->body || (c->method && strcmp(c->method, "GET") != 0 && strcmp(c->method, "HEAD")))
		curl_easy_setopt(h, CURLOPT_POST, 1L);
	if (c->method && strcmp(c->method, "GET") != 0 && strcmp(c->method, "POST") != 0) {
		if (!strcmp(c->method, "HEAD"))
			curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
		else
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, c->method);
	}
	return 0;
}

static void slot_release(struct loop *L, struct slot *sl)
{
	if (sl->h) {
		if (sl->busy)
			curl_multi_remove_handle(L->multi, sl->h);
		curl_easy_cleanup(sl->h);
	}
	curl_slist_free_all(sl->hl);
	for (size_t k = 0; sl->hdr && k < L->cfg->n_headers; k++)
		strbuf_release(&sl->hdr[k]);
	free(sl->hdr);
	strbuf_release(&sl->url);
	strbuf_release(&sl->body);
	strbuf_release(&sl->reply);
}

/* Send request i on a free slot. */
static void start(struct loop *L, size_t i, int64_t now)
{
	const struct httpload_config *c = L->cfg;
	size_t idx = L->free_slots[--L->n_free];
	struct slot *sl = &L->slots[idx];
	uint32_t user = L->s->user[i];
	simtime t = L->v->time ? L->v->time[i] : L->v->now;
	int64_t late = now - L->s->at[i];

	sl->i = i;
	sl->busy = true;
	strbuf_reset(&sl->reply);
	sl->errbuf[0] = '\0';
	tmpl_expand(&L->url, &sl->url, user, L->v->k, i, t);
	curl_easy_setopt(sl->h, CURLOPT_URL, sl->url.buf);
	if (c->body) {
		tmpl_expand(&L->body, &sl->body, user, L->v->k, i, t);
		curl_easy_setopt(sl->h, CURLOPT_POSTFIELDSIZE, (long)sl->body.len);
		curl_easy_setopt(sl->h, CURLOPT_POSTFIELDS, sl->body.buf);
	} else if (c->method && strcmp(c->method, "GET") && strcmp(c->method, "HEAD")) {
		curl_easy_setopt(sl->h, CURLOPT_POSTFIELDSIZE, 0L);
		curl_easy_setopt(sl->h, CURLOPT_POSTFIELDS, "");
	}
	if (c->n_headers) {
		curl_slist_free_all(sl->hl);
		sl->hl = NULL;
		for (size_t k = 0; k < c->n_headers; k++) {
			tmpl_expand(&L->hdr[k], &sl->hdr[k], user, L->v->k, i, t);
			sl->hl = curl_slist_append(sl->hl, sl->hdr[k].buf);
		}
		curl_easy_setopt(sl->h, CURLOPT_HTTPHEADER, sl->hl);
	}
	L->rep->base.start[i] = now;
	if (late > c->late_after_ns)
		L->rep->base.late++;
	curl_multi_add_handle(L->multi, sl->h);
}

static enum httpload_kind classify(struct loop *L, struct slot *sl, CURLcode res, long code)
{
	const struct httpload_config *c = L->cfg;

	switch (res) {
	case CURLE_OK:
		break;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		note_error(L, "request %zu: cannot connect: %s", sl->i,
			   sl->errbuf[0] ? sl->errbuf : curl_easy_strerror(res));
		return HTTPLOAD_CONNECT;
	case CURLE_OPERATION_TIMEDOUT:
		note_error(L, "request %zu: timed out: %s", sl->i,
			   sl->errbuf[0] ? sl->errbuf : curl_easy_strerror(res));
		return HTTPLOAD_TIMEOUT;
	default:
		note_error(L, "request %zu: %s", sl->i,
			   sl->errbuf[0] ? sl->errbuf : curl_easy_strerror(res));
		return HTTPLOAD_OTHER;
	}
	if (code >= 400 && code < 500) {
		note_error(L, "request %zu: HTTP %ld: %.200s", sl->i, code,
			   sl->reply.buf ? sl->reply.buf : "");
		return HTTPLOAD_4XX;
	}
	if (code >= 500 && code < 600) {
		note_error(L, "request %zu: HTTP %ld: %.200s", sl->i, code,
			   sl->reply.buf ? sl->reply.buf : "");
		return HTTPLOAD_5XX;
	}
	if (code < 200 || code >= 300) {
		note_error(L, "request %zu: HTTP %ld (not 2xx)", sl->i, code);
		return HTTPLOAD_OTHER;
	}
	if (c->check != HTTPLOAD_CHECK_NONE &&
	    !httpload_body_ok(sl->reply.buf ? sl->reply.buf : "", sl->reply.len,
			      c->check == HTTPLOAD_CHECK_PAGE
				      ? (c->page_key ? c->page_key : "shows") : NULL)) {
		note_error(L, "request %zu: bad body (%s check): %.200s", sl->i,
			   c->check == HTTPLOAD_CHECK_PAGE ? "page" : "json",
			   sl->reply.buf ? sl->reply.buf : "");
		return HTTPLOAD_BAD_BODY;
	}
	return HTTPLOAD_OK;
}

static void finish(struct loop *L, CURL *h, CURLcode res, int64_t now)
{
	struct loadtest_report *b = &L->rep->base;
	char *pv = NULL;
	uintptr_t idx;
	struct slot *sl;
	long code = 0, conns = 0;
	enum httpload_kind k;
	size_t i;

	curl_easy_getinfo(h, CURLINFO_PRIVATE, &pv);
	idx = (uintptr_t)pv;
	sl = &L->slots[idx];
	i = sl->i;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &conns);
	curl_multi_remove_handle(L->multi, h);
	k = classify(L, sl, res, code);
	L->rep->opened += (uint64_t)(conns > 0 ? conns : 0);
	L->rep->kind[i] = (uint8_t)k;
	L->rep->http_status[i] = (uint16_t)(code > 0 && code < 65536 ? code : 0);
	L->rep->by_kind[k]++;
	b->end[i] = now < b->start[i] ? b->start[i] : now;
	b->status[i] = k == HTTPLOAD_OK ? LOADTEST_OK : LOADTEST_ERROR;
	if (k == HTTPLOAD_OK)
		b->completed++;
	else
		b->errors++;
	hist_record(&b->latency, b->end[i] - L->s->at[i] > 0 ? b->end[i] - L->s->at[i] : 0);
	hist_record(&b->service, b->end[i] - b->start[i]);
	hist_record(&b->delay, b->start[i] - L->s->at[i] > 0 ? b->start[i] - L->s->at[i] : 0);
	sl->busy = false;
	L->free_slots[L->n_free++] = idx;
}

static void arm(int tfd, int64_t abs_ns)
{
	struct itimerspec it;

	memset(&it, 0, sizeof(it));
	if (abs_ns <= 0)
		abs_ns = 1;
	it.it_value.tv_sec = (time_t)(abs_ns / 1000000000);
	it.it_value.tv_nsec = (long)(abs_ns % 1000000000);
	timerfd_settime(tfd, TFD_TIMER_ABSTIME, &it, NULL);
}

/* The event loop: admit due arrivals, start what the pool allows, let curl
 * work, collect completions, sleep until the next arrival or socket. */
static void run_loop(struct loop *L)
{
	const struct loadtest_schedule *s = L->s;
	struct loadtest_report *b = &L->rep->base;
	size_t next = 0, head = 0, waiting = 0, bound = L->cfg->queue_bound, busy = 0;
	int64_t armed = -1;

	for (;;) {
		int64_t now = mono_ns() - L->t0;
		int running = 0, left;
		bool progressed = false;
		CURLMsg *m;

		while (next < s->n && s->at[next] <= now) {
			size_t i = next++;

			if (bound && waiting >= bound) {
				b->status[i] = LOADTEST_DROPPED;
				L->rep->kind[i] = HTTPLOAD_DROPPED;
				L->rep->by_kind[HTTPLOAD_DROPPED]++;
				b->dropped++;
				continue;
			}
			if (waiting >= L->n_free)
				L->rep->queued++;
			waiting++;
		}
		while (waiting > 0 && L->n_free > 0) {
			while (b->status[head] == LOADTEST_DROPPED)
				head++;
			start(L, head++, now);
			waiting--;
			busy++;
		}
		curl_multi_perform(L->multi, &running);
		while ((m = curl_multi_info_read(L->multi, &left)) != NULL) {
			if (m->msg != CURLMSG_DONE)
				continue;
			finish(L, m->easy_handle, m->data.result, mono_ns() - L->t0);
			busy--;
			progressed = true;
		}
		if (next >= s->n && waiting == 0 && busy == 0)
			break;
		if (progressed && waiting > 0)
			continue;
		{
			struct curl_waitfd w = { L->tfd, CURL_WAIT_POLLIN, 0 };
			long ms = -1;
			int nfds = 0;

			if (next < s->n && s->at[next] != armed) {
				arm(L->tfd, L->t0 + s->at[next]);
				armed = s->at[next];
			}
			curl_multi_timeout(L->multi, &ms);
			if (ms < 0 || ms > 1000)
				ms = 1000;
			if (next < s->n && s->at[next] <= mono_ns() - L->t0)
				ms = 0;
			curl_multi_poll(L->multi, &w, next < s->n ? 1 : 0, (int)ms, &nfds);
			if (w.revents) {
				uint64_t expirations;

				if (read(L->tfd, &expirations, sizeof(expirations)) < 0)
					(void)0;   /* EAGAIN: already drained */
			}
		}
	}
}

int httpload_run(const struct httpload_config *cfg, const struct loadtest_schedule *s,
		 const struct httpload_vars *v, struct httpload_report *rep, struct error *err)
{
	struct loop L;
	char pin[600];
	size_t made = 0, nh = 0;
	int64_t last = 0;
	int rc = 0;
#ifdef PR_SET_TIMERSLACK
	int slack = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
#endif

	memset(rep, 0, sizeof(*rep));
	memset(&L, 0, sizeof(L));
	L.tfd = -1;
	if (cfg->connections == 0 || cfg->connections > 10000 || cfg->timeout_ns <= 0)
		return error_set(err, ERR_INPUT, "load test: connections must be 1..10000 and the "
				 "timeout positive");
	if ((rc = httpload_check_target(cfg->url, cfg->allow_remote, pin, sizeof(pin), err)) < 0)
		return rc;
	L.cfg = cfg;
	L.s = s;
	L.v = v;
	L.rep = rep;
	if ((rc = tmpl_compile(&L.url, cfg->url, "--target", err)) < 0)
		return rc;
	if (cfg->body && (rc = tmpl_compile(&L.body, cfg->body, "--body", err)) < 0)
		goto out;
	L.hdr = xcalloc(cfg->n_headers + 1, sizeof(*L.hdr));
	for (; nh < cfg->n_headers; nh++)
		if ((rc = tmpl_compile(&L.hdr[nh], cfg->headers[nh], "--header", err)) < 0)
			goto out;
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK) {
		rc = error_set(err, ERR_RUN, "load test: libcurl cannot start: %s",
			       curl_easy_strerror(curl_init_rc));
		goto out;
	}
	if ((rc = hist_init(&rep->base.latency, LOADTEST_HIST_HIGHEST, LOADTEST_HIST_DIGITS, err)) ||
	    (rc = hist_init(&rep->base.service, LOADTEST_HIST_HIGHEST, LOADTEST_HIST_DIGITS, err)) ||
	    (rc = hist_init(&rep->base.delay, LOADTEST_HIST_HIGHEST, LOADTEST_HIST_DIGITS, err)))
		goto out;
	rep->base.n = s->n;
	rep->base.start = xcalloc(s->n ? s->n : 1, sizeof(int64_t));
	rep->base.end = xcalloc(s->n ? s->n : 1, sizeof(int64_t));
	rep->base.status = xcalloc(s->n ? s->n : 1, 1);
	rep->kind = xcalloc(s->n ? s->n : 1, 1);
	rep->http_status = xcalloc(s->n ? s->n : 1, sizeof(uint16_t));
	for (size_t i = 0; i < s->n; i++)
		rep->base.start[i] = rep->base.end[i] = -1;
	if (pin[0])
		L.pin = curl_slist_append(NULL, pin);
	if (!(L.multi = curl_multi_init())) {
		rc = error_set(err, ERR_RUN, "load test: cannot create a libcurl multi handle");
		goto out;
	}
	curl_multi_setopt(L.multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)cfg->connections);
	curl_multi_setopt(L.multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)cfg->connections);
	curl_multi_setopt(L.multi, CURLMOPT_MAXCONNECTS, (long)cfg->connections);
	curl_multi_setopt(L.multi, CURLMOPT_PIPELINING, (long)CURLPIPE_NOTHING);
	L.slots = xcalloc(cfg->connections, sizeof(*L.slots));
	L.free_slots = xcalloc(cfg->connections, sizeof(*L.free_slots));
	for (; made < cfg->connections; made++) {
		if ((rc = slot_setup(&L, &L.slots[made], made, err)) < 0)
			goto out;
		/* Handed out from the end: slot 0 first, so connections are
		 * reused in a stable order at low rates. */
		L.free_slots[L.n_free++] = cfg->connections - 1 - made;
	}
	if ((L.tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) < 0) {
		rc = error_set(err, ERR_RUN, "load test: timerfd: %s", strerror(errno));
		goto out;
	}
#ifdef PR_SET_TIMERSLACK
	prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
#endif
	L.t0 = mono_ns();
	run_loop(&L);
#ifdef PR_SET_TIMERSLACK
	if (slack > 0)
		prctl(PR_SET_TIMERSLACK, (unsigned long)slack, 0UL, 0UL, 0UL);
#endif
	for (size_t i = 0; i < s->n; i++)
		if (rep->base.end[i] > last)
			last = rep->base.end[i];
	rep->base.wall_s = (double)last / 1e9;
out:
	for (size_t k = 0; k < made; k++)
		slot_release(&L, &L.slots[k]);
	if (made < cfg->connections && L.slots && L.slots[made].h)
		slot_release(&L, &L.slots[made]);
	if (L.multi)
		curl_multi_cleanup(L.multi);
	curl_slist_free_all(L.pin);
	if (L.tfd >= 0)
		close(L.tfd);
	free(L.slots);
	free(L.free_slots);
	tmpl_release(&L.url);
	tmpl_release(&L.body);
	for (size_t k = 0; k < nh && L.hdr; k++)
		tmpl_release(&L.hdr[k]);
	free(L.hdr);
	return rc;
}

void httpload_report_release(struct httpload_report *rep)
{
	loadtest_report_release(&rep->base);
	free(rep->kind);
	free(rep->http_status);
	memset(rep, 0, sizeof(*rep));
}
