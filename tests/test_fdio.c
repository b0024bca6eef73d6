/* Tests for common/fdio.c: a whole buffer larger than a pipe's capacity
 * reaches a live reader; a dead reader is EPIPE returned, not a SIGPIPE
 * that kills the process, and the signal mask is restored. */
#include "common/fdio.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/check_main.h"

enum { BIG = 1 << 20 };   /* 16 times a default pipe's capacity */

struct reader {
	int fd;
	size_t got;
	unsigned sum;
};

static void *drain(void *arg)
{
	struct reader *r = arg;
	unsigned char buf[4096];
	ssize_t n;

	while ((n = read(r->fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++)
			r->sum = r->sum * 31 + buf[i];
		r->got += (size_t)n;
	}
	return NULL;
}

START_TEST(a_live_reader_gets_every_byte)
{
	unsigned char *buf = malloc(BIG);
	struct reader r = { 0 };
	unsigned want = 0;
	pthread_t t;
	int fds[2];

	ck_assert_ptr_nonnull(buf);
	for (size_t i = 0; i < BIG; i++) {
		buf[i] = (unsigned char)(i * 7 + (i >> 9));
		want = want * 31 + buf[i];
	}
	ck_assert_int_eq(pipe(fds), 0);
	r.fd = fds[0];
	ck_assert_int_eq(pthread_create(&t, NULL, drain, &r), 0);
	ck_assert_int_eq(fdio_write_all(fds[1], buf, BIG), 0);
	close(fds[1]);
	pthread_join(t, NULL);
	close(fds[0]);
	ck_assert_uint_eq(r.got, BIG);
	ck_assert_uint_eq(r.sum, want);
	free(buf);
}
END_TEST

START_TEST(a_dead_reader_is_epipe_not_a_signal)
{
	char buf[64] = "gnuplot went away";
	sigset_t before, after, pending;
	int fds[2];

	ck_assert_int_eq(pipe(fds), 0);
	close(fds[0]);
	pthread_sigmask(SIG_SETMASK, NULL, &before);
	/* the default SIGPIPE action would end this test process */
	ck_assert_int_eq(fdio_write_all(fds[1], buf, sizeof(buf)), EPIPE);
	pthread_sigmask(SIG_SETMASK, NULL, &after);
	ck_assert_int_eq(sigismember(&after, SIGPIPE), sigismember(&before, SIGPIPE));
	sigpending(&pending);
	ck_assert(!sigismember(&pending, SIGPIPE));   /* the one it caused, consumed */
	ck_assert_int_eq(fdio_write_all(-1, buf, 1), EBADF);
	ck_assert_int_eq(fdio_write_all(fds[1], buf, 0), 0);   /* nothing to write */
	close(fds[1]);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, a_live_reader_gets_every_byte);
	tcase_add_test(tc, a_dead_reader_is_epipe_not_a_signal);
}

CHECK_MAIN("fdio", add_tests, 30)
