#ifndef AIRTIME_SCORER_WIRE_H
#define AIRTIME_SCORER_WIRE_H
/*
 * The frames of the external-ranker protocol, version 1
 * (docs/ranker-protocol.md), airtime's side: requests encoded into a
 * reusable buffer, replies decoded and checked.  No I/O here
 * (engine/scorer_exec.c moves the bytes), so every malformed reply can be
 * tested from bytes alone.
 *
 * Everything on the wire is little-endian and nothing is aligned: fields
 * are read and written with memcpy (or byte by byte), never through a cast
 * pointer.  Decoders check lengths exactly (a payload is as long as its
 * fields, no more) and say what was wrong in one line.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "include/airtime/scorer.h"

#define WIRE_HEADER 16
#define WIRE_VERSION 1
#define WIRE_MAX_PAYLOAD (UINT32_C(1) << 30)
/* ERROR messages are cut to this many bytes. */
#define WIRE_ERROR_MAX 1024

enum wire_type {
	WIRE_HELLO = 1, WIRE_FIT = 2, WIRE_SCORE = 3, WIRE_BYE = 4,
	WIRE_READY = 101, WIRE_FITTED = 102, WIRE_SCORES = 103, WIRE_BYE_REPLY = 104,
	WIRE_ERROR = 199,
};

/* A growing byte buffer: a frame being built (header first). */
struct wire_buf {
	unsigned char *p;
	size_t n, cap;
};

void wire_buf_release(struct wire_buf *b);

/* Requests: the whole frame (header with seq, then the payload) into b,
 * replacing what it held.  wire_fit refuses (ERR_INPUT) a training set
 * whose payload would pass WIRE_MAX_PAYLOAD, naming the rows. */
void wire_hello(struct wire_buf *b, uint32_t seq, const struct airtime_schema *s);
int wire_fit(struct wire_buf *b, uint32_t seq, const struct airtime_training_set *t,
	     struct error *err);
void wire_score(struct wire_buf *b, uint32_t seq, const struct airtime_page *page,
		uint32_t n_features);
void wire_bye(struct wire_buf *b, uint32_t seq);

/* "HELLO", "SCORES", ..., or "type N" (buf holds the latter). */
const char *wire_type_name(uint32_t type, char *buf, size_t n);

struct wire_header {
	uint32_t type, length, seq;
};

/* Check a reply's 16 header bytes: magic, version, length limit.  A bad
 * magic quotes the bytes as text (a stray print is the usual cause). */
int wire_parse_header(const unsigned char h[WIRE_HEADER], struct wire_header *out,
		      struct error *err);
/* A whole reply (header h, payload p) against what was asked (type want,
 * sequence seq): an ERROR becomes its message; another type or sequence
 * says so.  Then the payload decoders: READY gives *api_version and name
 * (a new string, caller frees; pass NULL when not wanted); SCORES exactly
 * one page of n scores into out; FITTED and BYE nothing. */
int wire_check_reply(const struct wire_header *h, const unsigned char *p, uint32_t want,
		     uint32_t seq, struct error *err);
int wire_ready(const unsigned char *p, size_t len, uint32_t *api_version, char **name,
	       struct error *err);
int wire_scores(const unsigned char *p, size_t len, uint32_t n, double *out, struct error *err);
int wire_empty(const unsigned char *p, size_t len, uint32_t type, struct error *err);

#endif
