/* fuzz_chrony_wire.c -- libFuzzer target for the cmdmon reply validator and decoders.
 * Any datagram must either be rejected by chrony_wire_check or decode without touching
 * memory outside the packet; decoded numbers must be finite. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chrony_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint16_t commands[] = {
    CHRONY_REQ_N_SOURCES,       CHRONY_REQ_SOURCE_DATA,     CHRONY_REQ_TRACKING,
    CHRONY_REQ_SOURCESTATS,     CHRONY_REQ_SERVER_STATS,    CHRONY_REQ_NTP_DATA,
    CHRONY_REQ_NTP_SOURCE_NAME, CHRONY_REQ_CLIENT_ACCESSES, CHRONY_REQ_SELECT_DATA,
};

static void
decode(const struct chrony_reply *r)
{
  struct tsync_clock clock;
  struct tsync_source src;
  struct tsync_serverstats stats;
  struct tsync_client clients[CHRONY_CLIENTS_PER_REPLY];
  uint32_t a, b, c;
  char name[TSYNC_NAME_SIZE];

  switch (r->command) {
  case CHRONY_REQ_TRACKING:
    chrony_wire_tracking(r, &clock);
    if (!isfinite(clock.offset) || !isfinite(clock.est_error))
      abort();
    break;
  case CHRONY_REQ_N_SOURCES:
    (void)chrony_wire_n_sources(r);
    break;
  case CHRONY_REQ_SOURCE_DATA:
    (void)chrony_wire_source_data(r, &src);
    if (strlen(src.name) >= sizeof(src.name) || src.reach > 0xff || src.lost > 8)
      abort();
    break;
  case CHRONY_REQ_SOURCESTATS:
    memset(&src, 0, sizeof(src));
    (void)chrony_wire_sourcestats(r, &src);
    break;
  case CHRONY_REQ_SELECT_DATA:
    memset(&src, 0, sizeof(src));
    (void)chrony_wire_select_char(r, &src);
    break;
  case CHRONY_REQ_NTP_SOURCE_NAME:
    chrony_wire_source_name(r, name, sizeof(name));
    break;
  case CHRONY_REQ_SERVER_STATS:
    chrony_wire_serverstats(r, &stats);
    break;
  case CHRONY_REQ_NTP_DATA:
    memset(&src, 0, sizeof(src));
    chrony_wire_ntpdata(r, &src);
    if (!isfinite(src.delay))
      abort();
    break;
  case CHRONY_REQ_CLIENT_ACCESSES:
    if (chrony_wire_clients(r, clients, CHRONY_CLIENTS_PER_REPLY, &a, &b, &c) > c)
      abort();
    break;
  default:
    break;
  }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct chrony_reply r;
  struct tsync_err err;
  uint8_t *pkt;
  size_t i;

  if (size > CHRONY_RPY_MAX)
    return 0; /* the transport drops these before validation */
  /* an exact-size copy, so ASan sees any read past the datagram */
  pkt = malloc(size ? size : 1);
  if (!pkt)
    return 0;
  memcpy(pkt, data, size);
  for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
    memset(&r, 0, sizeof(r));
    if (chrony_wire_check(pkt, size, commands[i], &r, &err) == TSYNC_OK)
      decode(&r);
  }
  if (size >= 20) {
    char text[TSYNC_ADDR_SIZE];

    (void)chrony_wire_ipaddr(pkt, text, sizeof(text));
  }
  free(pkt);
  return 0;
}
