/* resolve.h -- name resolution bounded by a deadline. */
#ifndef TSYNC_RESOLVE_H
#define TSYNC_RESOLVE_H

#include <netdb.h>
#include <time.h>

#include "status.h"

/* Resolves host/port for UDP (family AF_UNSPEC, AF_INET or AF_INET6) without waiting
 * past deadline: numeric addresses directly, names through getaddrinfo_a. On success
 * *res must be freed with freeaddrinfo(). */
enum tsync_status tsync_resolve(const char *host, const char *port, int family,
                                struct timespec deadline, struct addrinfo **res,
                                struct tsync_err *err) TSYNC_WUR;

/* Numeric text of a socket address ("127.0.0.1", "::1"); "" when it cannot be shown. */
void tsync_addr_text(const struct sockaddr *sa, socklen_t len, char *buf, size_t size);

#endif
