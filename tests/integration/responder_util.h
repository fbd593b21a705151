/* responder_util.h -- what the two test responders (fake_w32time, hostile_cmdmon) share:
 * loopback-only UDP addresses, strict number parsing, the ready file and the stop signal.
 * Included by exactly one .c file per tool; the responders share nothing with the code
 * they test. */
#ifndef TSYNC_RESPONDER_UTIL_H
#define TSYNC_RESPONDER_UTIL_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct peer {
  struct sockaddr_storage addr;
  socklen_t len;
};

/* Set by SIGTERM/SIGINT/SIGHUP; the serve loop checks it. */
static volatile sig_atomic_t stop_requested;

/* Whole-string decimal in [min, max]; no sign other than '-', no spaces. */
static bool
parse_long(const char *s, long min, long max, long *out)
{
  char *end;
  long v;

  if (s == NULL || (*s != '-' && (*s < '0' || *s > '9')))
    return false;
  errno = 0;
  v = strtol(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
    return false;
  *out = v;
  return true;
}

/* Fills addr from a numeric host and port; false unless the host is a loopback address. */
static bool
set_loopback_addr(struct peer *addr, const char *host, long port, bool v6)
{
  memset(addr, 0, sizeof(*addr));
  if (v6) {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&addr->addr;

    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons((uint16_t)port);
    addr->len = sizeof(*s6);
    return inet_pton(AF_INET6, host, &s6->sin6_addr) == 1 &&
           IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr);
  }
  struct sockaddr_in *s4 = (struct sockaddr_in *)&addr->addr;

  s4->sin_family = AF_INET;
  s4->sin_port = htons((uint16_t)port);
  addr->len = sizeof(*s4);
  return inet_pton(AF_INET, host, &s4->sin_addr) == 1 &&
         (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
}

/* "IP:PORT" or "[IP6]:PORT", loopback only. */
static bool
parse_udp_spec(const char *spec, struct peer *addr)
{
  char host[INET6_ADDRSTRLEN];
  const char *start = spec, *colon, *close = NULL;
  size_t hlen;
  long port;

  if (spec[0] == '[') {
    start = spec + 1;
    close = strchr(start, ']');
    if (close == NULL || close[1] != ':')
      return false;
    colon = close + 1;
  } else {
    colon = strchr(spec, ':');
    if (colon == NULL || strchr(colon + 1, ':') != NULL)
      return false;
  }
  hlen = (size_t)((close != NULL ? close : colon) - start);
  if (hlen == 0 || hlen >= sizeof(host) || !parse_long(colon + 1, 1, 65535, &port))
    return false;
  memcpy(host, start, hlen);
  host[hlen] = '\0';
  return set_loopback_addr(addr, host, port, close != NULL);
}

/* Written under a temporary name and renamed, so a waiting test never reads it half-done.
 * prog names the tool in error messages. */
static bool
write_ready_file(const char *prog, const char *file)
{
  char tmp[4096];
  FILE *f;
  int n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", file, (long)getpid());
  bool ok;

  if (n <= 0 || (size_t)n >= sizeof(tmp)) {
    fprintf(stderr, "%s: ready file name too long: %s\n", prog, file);
    return false;
  }
  f = fopen(tmp, "w");
  if (f == NULL) {
    fprintf(stderr, "%s: %s: %s\n", prog, tmp, strerror(errno));
    return false;
  }
  ok = fputs("ready\n", f) >= 0;
  ok = (fclose(f) == 0) && ok;
  if (!ok || rename(tmp, file) != 0) {
    fprintf(stderr, "%s: writing %s: %s\n", prog, file, strerror(errno));
    (void)unlink(tmp);
    return false;
  }
  return true;
}

static void
on_signal(int sig)
{
  (void)sig;
  stop_requested = 1;
}

/* No SA_RESTART, so ppoll() returns EINTR and the loop notices at once. */
static bool
install_signals(void)
{
  static const int sigs[] = {SIGTERM, SIGINT, SIGHUP};
  struct sigaction sa;

  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
    if (sigaction(sigs[i], &sa, NULL) != 0)
      return false;
  }
  return true;
}

#endif
