/* fuzz_vsphere_soap.c -- libFuzzer target for the SOAP response parsers: any body must
 * be rejected or read without touching memory outside it, and text fields must stay
 * NUL-terminated within their buffers. */
#include <libxml/parser.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vsphere_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  xmlInitParser();
  return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct vs_content sc;
  struct tsync_host h;
  char *body = malloc(size + 1);
  unsigned i;

  if (!body)
    return 0;
  memcpy(body, data, size);
  body[size] = '\0';
  memset(&sc, 0, sizeof(sc));
  (void)vs_soap_parse_content(body, size, &sc, NULL);
  if (strlen(sc.api_version) >= sizeof(sc.api_version))
    abort();
  memset(&h, 0, sizeof(h));
  if (vs_soap_parse_host_props(body, size, 1.8e9, &h, NULL) == TSYNC_OK) {
    if (h.n_ntp_servers > TSYNC_MAX_NTP_SERVERS || !isfinite(h.last_sync_age))
      abort();
    for (i = 0; i < h.n_ntp_servers; i++)
      if (strlen(h.ntp_servers[i]) >= TSYNC_NAME_SIZE)
        abort();
  }
  free(body);
  return 0;
}
