/* resolve.c -- bounded name resolution (getaddrinfo_a, glibc). */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deadline.h"
#include "resolve.h"

/* An asynchronous request with its hints and strings in one heap block: a lookup that
 * glibc cannot cancel keeps using it after we return, so it is then left allocated. */
struct pending {
  struct gaicb cb;
  struct addrinfo hints;
  char names[];
};

static void
udp_hints(struct addrinfo *h, int family, int flags)
{
  memset(h, 0, sizeof(*h));
  h->ai_family = family;
  h->ai_socktype = SOCK_DGRAM;
  h->ai_protocol = IPPROTO_UDP;
  h->ai_flags = flags;
}

static void
fail(struct tsync_lookup *l, enum tsync_status st, int rc)
{
  l->status = tsync_err_set(&l->err, st, "cannot resolve %s: %s", l->host,
                            st == TSYNC_ERR_TIMEOUT ? "timeout" : gai_strerror(rc));
}

/* The numeric fast path; false when host is a name. */
static bool
numeric(struct tsync_lookup *l)
{
  struct addrinfo hints;
  int rc;

  udp_hints(&hints, l->family, AI_NUMERICHOST | AI_NUMERICSERV);
  rc = getaddrinfo(l->host, l->port, &hints, &l->res);
  if (rc == 0) {
    l->status = TSYNC_OK;
    return true;
  }
  if (rc == EAI_NONAME)
    return false;
  l->status = tsync_err_set(&l->err, TSYNC_ERR_ARG, "cannot use %s port %s: %s", l->host,
                            l->port, gai_strerror(rc));
  return true;
}

static struct pending *
new_pending(const struct tsync_lookup *l)
{
  size_t hlen = strlen(l->host) + 1, plen = strlen(l->port) + 1;
  struct pending *p = calloc(1, sizeof(*p) + hlen + plen);

  if (!p)
    return NULL;
  udp_hints(&p->hints, l->family, AI_NUMERICSERV);
  memcpy(p->names, l->host, hlen);
  memcpy(p->names + hlen, l->port, plen);
  p->cb.ar_name = p->names;
  p->cb.ar_service = p->names + hlen;
  p->cb.ar_request = &p->hints;
  return p;
}

/* Waits until every request finished or the deadline passed. */
static void
wait_all(struct gaicb **list, size_t n, struct timespec deadline)
{
  size_t i;

  for (;;) {
    int ms = tsync_ms_left(deadline);
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

    for (i = 0; i < n && (!list[i] || gai_error(list[i]) != EAI_INPROGRESS); i++)
      ;
    if (i == n || ms == 0)
      return;
    (void)gai_suspend((const struct gaicb *const *)list, (int)n, &ts);
  }
}

static void
collect(struct tsync_lookup *l, struct pending *p)
{
  int rc = gai_error(&p->cb);

  if (rc == EAI_INPROGRESS) {
    fail(l, TSYNC_ERR_TIMEOUT, 0);
    if (gai_cancel(&p->cb) == EAI_NOTCANCELED)
      return; /* glibc still owns p */
  } else if (rc == 0) {
    l->res = p->cb.ar_result;
    l->status = TSYNC_OK;
  } else {
    fail(l, TSYNC_ERR_RESOLVE, rc);
  }
  free(p);
}

void
tsync_resolve_many(struct tsync_lookup *l, size_t n, struct timespec deadline)
{
  struct gaicb **list = calloc(n ? n : 1, sizeof(*list));
  size_t i, async = 0;

  for (i = 0; i < n; i++) {
    l[i].res = NULL;
    if (numeric(&l[i]))
      continue;
    /* the pending block starts with its gaicb */
    if (!list || !(list[i] = (struct gaicb *)new_pending(&l[i]))) {
      l[i].status = tsync_err_set(&l[i].err, TSYNC_ERR_NOMEM, "out of memory");
      continue;
    }
    async++;
  }
  if (async && getaddrinfo_a(GAI_NOWAIT, list, (int)n, NULL) != 0)
    async = 0; /* could not start: every pending lookup fails below */
  if (async)
    wait_all(list, n, deadline);
  for (i = 0; list && i < n; i++) {
    if (!list[i])
      continue;
    if (async)
      collect(&l[i], (struct pending *)list[i]);
    else {
      fail(&l[i], TSYNC_ERR_RESOLVE, EAI_SYSTEM);
      free(list[i]);
    }
  }
  free(list);
}

enum tsync_status
tsync_resolve(const char *host, const char *port, int family, struct timespec deadline,
              struct addrinfo **res, struct tsync_err *err)
{
  struct tsync_lookup l = {.host = host, .port = port, .family = family};

  tsync_resolve_many(&l, 1, deadline);
  if (l.status != TSYNC_OK) {
    if (err)
      *err = l.err;
    return l.status;
  }
  *res = l.res;
  return TSYNC_OK;
}

void
tsync_addr_text(const struct sockaddr *sa, socklen_t len, char *buf, size_t size)
{
  if (getnameinfo(sa, len, buf, (socklen_t)size, NULL, 0, NI_NUMERICHOST) != 0 && size)
    buf[0] = '\0';
}

/* A reverse lookup on its own thread. Whoever finishes last frees it: the thread when
 * the caller gave up waiting, the caller otherwise. */
struct reverse {
  atomic_int state; /* RUNNING, then DONE (thread) or ABANDONED (caller) */
  struct sockaddr_storage sa;
  socklen_t salen;
  bool found;
  char name[NI_MAXHOST];
};

enum { RUNNING, DONE, ABANDONED };

static void *
reverse_thread(void *arg)
{
  struct reverse *rv = arg;
  int expect = RUNNING;

  rv->found = getnameinfo((struct sockaddr *)&rv->sa, rv->salen, rv->name, sizeof(rv->name),
                          NULL, 0, NI_NAMEREQD) == 0;
  if (!atomic_compare_exchange_strong(&rv->state, &expect, DONE))
    free(rv); /* the caller is gone */
  return NULL;
}

static bool
parse_addr(const char *addr, struct reverse *rv)
{
  struct sockaddr_in *in = (struct sockaddr_in *)&rv->sa;
  struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&rv->sa;

  if (inet_pton(AF_INET, addr, &in->sin_addr) == 1) {
    in->sin_family = AF_INET;
    rv->salen = sizeof(*in);
    return true;
  }
  if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    rv->salen = sizeof(*in6);
    return true;
  }
  return false;
}

bool
tsync_reverse(const char *addr, struct timespec deadline, char *name, size_t len)
{
  struct reverse *rv = calloc(1, sizeof(*rv));
  struct timespec until;
  pthread_t th;
  int expect = RUNNING;
  bool found = false;

  if (!rv || !parse_addr(addr, rv) || pthread_create(&th, NULL, reverse_thread, rv) != 0) {
    free(rv);
    return false;
  }
  /* pthread_timedjoin_np takes a CLOCK_REALTIME time: convert what is left */
  (void)clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += tsync_ms_left(deadline) / 1000;
  until.tv_nsec += (long)(tsync_ms_left(deadline) % 1000) * 1000000L;
  if (until.tv_nsec >= 1000000000L) {
    until.tv_sec++;
    until.tv_nsec -= 1000000000L;
  }
  if (pthread_timedjoin_np(th, NULL, &until) == 0) {
    if (rv->found && snprintf(name, len, "%s", rv->name) > 0)
      found = true;
    free(rv);
    return found;
  }
  if (atomic_compare_exchange_strong(&rv->state, &expect, ABANDONED)) {
    (void)pthread_detach(th); /* the thread frees rv */
    return false;
  }
  (void)pthread_join(th, NULL); /* it finished just now */
  if (rv->found && snprintf(name, len, "%s", rv->name) > 0)
    found = true;
  free(rv);
  return found;
}

static void
keep_addrs(struct tsync_expect *e, const struct addrinfo *res)
{
  const struct addrinfo *ai;

  for (ai = res; ai && e->n_addrs < TSYNC_MAX_ADDRS; ai = ai->ai_next) {
    char text[TSYNC_ADDR_SIZE];
    unsigned k;

    tsync_addr_text(ai->ai_addr, ai->ai_addrlen, text, sizeof(text));
    for (k = 0; k < e->n_addrs && strcmp(e->addrs[k], text) != 0; k++)
      ;
    if (text[0] && k == e->n_addrs)
      memcpy(e->addrs[e->n_addrs++], text, sizeof(text));
  }
}

void
tsync_resolve_expect(struct tsync_expect *list, unsigned n, int family,
                     struct timespec deadline, struct tsync_notes *notes)
{
  struct tsync_lookup *l = calloc(n ? n : 1, sizeof(*l));
  unsigned i;

  if (!l) {
    tsync_note(notes, "out of memory resolving expected hosts");
    return;
  }
  for (i = 0; i < n; i++) {
    l[i].host = list[i].name;
    l[i].port = "123";
    l[i].family = family;
  }
  tsync_resolve_many(l, n, deadline);
  for (i = 0; i < n; i++) {
    list[i].n_addrs = 0;
    if (l[i].status != TSYNC_OK) {
      tsync_note(notes, "%s", l[i].err.msg);
      continue;
    }
    keep_addrs(&list[i], l[i].res);
    freeaddrinfo(l[i].res);
  }
  free(l);
}
