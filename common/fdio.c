/* Writing to a pipe whose reader may die; see fdio.h. */
#include "common/fdio.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <time.h>
#include <unistd.h>

int fdio_write_all(int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	sigset_t pipe_set, old, pending;
	bool was_pending;
	int e = 0;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigpending(&pending);
	was_pending = sigismember(&pending, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			e = errno;
			break;
		}
		p += w;
		len -= (size_t)w;
	}
	if (e == EPIPE && !was_pending) {
		/* Consume the SIGPIPE we caused before unblocking. */
		struct timespec zero = { 0, 0 };

		while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
			;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return e;
}
