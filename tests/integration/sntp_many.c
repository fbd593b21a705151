/* sntp_many.c -- drives sntp_query() over many targets at once, for the integration
 * test of the many-target interface the agent uses.
 *
 * Usage: sntp_many HOST PORT COUNT SAMPLES TIMEOUT
 * Prints one summary line; exits 0 when every target answered every sample. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "deadline.h"
#include "parse.h"
#include "sntp.h"

int
main(int argc, char **argv)
{
  struct sntp_request *req;
  struct sntp_result *res;
  struct sntp_opts o;
  struct tsync_err err;
  struct timespec start;
  long count, samples;
  double timeout, worst = 0.0;
  size_t i, full = 0, some = 0;

  if (argc != 6 || tsync_parse_long(argv[3], 1, 10000, &count, "COUNT", &err) != TSYNC_OK ||
      tsync_parse_long(argv[4], 1, SNTP_MAX_SAMPLES, &samples, "SAMPLES", &err) != TSYNC_OK ||
      tsync_parse_double(argv[5], 0.1, 600, &timeout, "TIMEOUT", &err) != TSYNC_OK) {
    fprintf(stderr, "usage: sntp_many HOST PORT COUNT SAMPLES TIMEOUT\n");
    return 2;
  }
  req = calloc((size_t)count, sizeof(*req));
  res = calloc((size_t)count, sizeof(*res));
  if (!req || !res)
    return 2;
  for (i = 0; i < (size_t)count; i++)
    req[i] = (struct sntp_request){argv[1], argv[2], AF_UNSPEC};
  sntp_opts_default(&o);
  o.samples = (unsigned)samples;
  start = tsync_now();
  if (sntp_query(req, res, (size_t)count, &o, tsync_deadline_in(timeout), &err) != TSYNC_OK) {
    fprintf(stderr, "sntp_many: %s\n", err.msg);
    return 2;
  }
  for (i = 0; i < (size_t)count; i++) {
    full += res[i].answered == (unsigned)samples;
    some += res[i].answered > 0;
    if (res[i].answered && (res[i].offset > worst || -res[i].offset > worst))
      worst = res[i].offset < 0 ? -res[i].offset : res[i].offset;
  }
  printf("sntp_many: %zu of %ld targets answered all %ld samples, %zu at least one; "
         "largest |offset| %.6f s; %.2f s for all\n",
         full, count, samples, some, worst, tsync_ts_diff(start, tsync_now()));
  free(req);
  free(res);
  return full == (size_t)count ? 0 : 1;
}
