/* resolve.c -- bounded name resolution (getaddrinfo_a, glibc). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "deadline.h"
#include "resolve.h"

static void
udp_hints(struct addrinfo *h, int family, int flags)
{
  memset(h, 0, sizeof(*h));
  h->ai_family = family;
  h->ai_socktype = SOCK_DGRAM;
  h->ai_protocol = IPPROTO_UDP;
  h->ai_flags = flags;
}

/* Waits for one asynchronous lookup; a lookup that outlives the deadline is cancelled,
 * and when glibc cannot cancel it the request is left to finish on its own thread. */
static enum tsync_status
wait_async(const char *host, const char *port, const struct addrinfo *hints,
           struct timespec deadline, struct addrinfo **res, struct tsync_err *err)
{
  /* request, hints and strings share one heap block: an uncancellable lookup keeps it */
  size_t hlen = strlen(host) + 1, plen = strlen(port) + 1;
  struct gaicb *req = calloc(1, sizeof(*req) + sizeof(*hints) + hlen + plen);
  struct addrinfo *hp;
  char *names;
  int rc;

  if (!req)
    return tsync_err_set(err, TSYNC_ERR_NOMEM, "out of memory resolving %s", host);
  hp = (struct addrinfo *)(req + 1);
  *hp = *hints;
  names = (char *)(hp + 1);
  memcpy(names, host, hlen);
  memcpy(names + hlen, port, plen);
  req->ar_name = names;
  req->ar_service = names + hlen;
  req->ar_request = hp;
  rc = getaddrinfo_a(GAI_NOWAIT, &req, 1, NULL);
  if (rc != 0) {
    free(req);
    return tsync_err_set(err, TSYNC_ERR_RESOLVE, "cannot resolve %s: %s", host,
                         gai_strerror(rc));
  }
  for (;;) {
    int ms = tsync_ms_left(deadline);
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    const struct gaicb *list[1] = {req};

    rc = gai_error(req);
    if (rc != EAI_INPROGRESS || ms == 0)
      break;
    (void)gai_suspend(list, 1, &ts);
  }
  if (rc == EAI_INPROGRESS) {
    if (gai_cancel(req) != EAI_NOTCANCELED)
      free(req);
    return tsync_err_set(err, TSYNC_ERR_TIMEOUT, "timeout resolving %s", host);
  }
  *res = req->ar_result;
  free(req);
  if (rc != 0)
    return tsync_err_set(err, TSYNC_ERR_RESOLVE, "cannot resolve %s: %s", host,
                         gai_strerror(rc));
  return TSYNC_OK;
}

enum tsync_status
tsync_resolve(const char *host, const char *port, int family, struct timespec deadline,
              struct addrinfo **res, struct tsync_err *err)
{
  struct addrinfo hints;
  int rc;

  udp_hints(&hints, family, AI_NUMERICHOST | AI_NUMERICSERV);
  rc = getaddrinfo(host, port, &hints, res);
  if (rc == 0)
    return TSYNC_OK;
  if (rc == EAI_SERVICE || rc == EAI_FAMILY || rc == EAI_ADDRFAMILY)
    return tsync_err_set(err, TSYNC_ERR_ARG, "cannot use %s port %s: %s", host, port,
                         gai_strerror(rc));
  udp_hints(&hints, family, AI_NUMERICSERV);
  return wait_async(host, port, &hints, deadline, res, err);
}

void
tsync_addr_text(const struct sockaddr *sa, socklen_t len, char *buf, size_t size)
{
  if (getnameinfo(sa, len, buf, (socklen_t)size, NULL, 0, NI_NUMERICHOST) != 0 && size)
    buf[0] = '\0';
}
