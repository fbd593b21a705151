/* resolve.h -- name resolution bounded by a deadline, for one name or hundreds at once. */
#ifndef TSYNC_RESOLVE_H
#define TSYNC_RESOLVE_H

#include <netdb.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "report.h"
#include "status.h"

/* One lookup: fill host/port/family; tsync_resolve_many fills the rest. */
struct tsync_lookup {
  const char *host;
  const char *port;
  int family;               /* AF_UNSPEC, AF_INET or AF_INET6 */
  struct addrinfo *res;     /* on TSYNC_OK: free with freeaddrinfo() */
  enum tsync_status status;
  struct tsync_err err;
};

/* Resolves all lookups for UDP concurrently without waiting past deadline: numeric
 * addresses directly, names through getaddrinfo_a. Each gets its own status. */
void tsync_resolve_many(struct tsync_lookup *l, size_t n, struct timespec deadline);

/* One name; on success *res must be freed with freeaddrinfo(). */
enum tsync_status tsync_resolve(const char *host, const char *port, int family,
                                struct timespec deadline, struct addrinfo **res,
                                struct tsync_err *err) TSYNC_WUR;

/* The name an IPv4/IPv6 address text resolves back to (PTR or /etc/hosts), waiting at
 * most until deadline (the lookup runs on its own thread and is abandoned after). false
 * when there is none. */
bool tsync_reverse(const char *addr, struct timespec deadline, char *name, size_t len);

/* Resolves every expected host (names or addresses, of family) into its addrs, all
 * concurrently; a name that does not resolve gets a note and no address. */
void tsync_resolve_expect(struct tsync_expect *list, unsigned n, int family,
                          struct timespec deadline, struct tsync_notes *notes);

/* Numeric text of a socket address ("127.0.0.1", "::1"); "" when it cannot be shown. */
void tsync_addr_text(const struct sockaddr *sa, socklen_t len, char *buf, size_t size);

#endif
