/* fuzz_vsphere_json.c -- libFuzzer target for the VI/JSON response parsers. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vsphere_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct vs_content sc;
  struct tsync_host h;
  /* an exact-size copy: json_loadb must not read past it */
  char *body = malloc(size ? size : 1);

  if (!body)
    return 0;
  memcpy(body, data, size);
  memset(&sc, 0, sizeof(sc));
  (void)vs_json_parse_content(body, size, &sc, NULL);
  memset(&h, 0, sizeof(h));
  if (vs_json_parse_datetime_info(body, size, 1.8e9, &h, NULL) == TSYNC_OK &&
      (h.n_ntp_servers > TSYNC_MAX_NTP_SERVERS || !isfinite(h.last_sync_age)))
    abort();
  (void)vs_json_parse_service_info(body, size, &h, NULL);
  if (strlen(h.ntpd_policy) >= sizeof(h.ntpd_policy))
    abort();
  free(body);
  return 0;
}
