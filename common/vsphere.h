/* vsphere.h -- a vSphere API client for time checks: SOAP on /sdk (ESXi and vCenter)
 * and VI/JSON on /sdk/vim25/{release} (vCenter >= 8.0U1), over libcurl.
 *
 * vsphere_open reads the service content, picks the API, logs in (or reuses a session
 * from a session file); vsphere_close logs out unless the session is kept in the file.
 * TLS is verified unless the target says insecure. Every call is bounded by the
 * caller's deadline and every response body by VSPHERE_MAX_BODY. Facts:
 * shared/protocols/esxi-vsphere-api.md Part A.
 */
#ifndef TSYNC_VSPHERE_H
#define TSYNC_VSPHERE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "report.h"
#include "status.h"

#define VSPHERE_MAX_BODY (4 * 1024 * 1024) /* the largest response read */
#define VSPHERE_MOID_SIZE 128
#define VSPHERE_JSON_MIN_RELEASE "8.0.1.0" /* VI/JSON exists from vCenter 8.0U1 on */

enum vsphere_api {
  VSPHERE_API_AUTO = 0,
  VSPHERE_API_SOAP = 1,
  VSPHERE_API_JSON = 2,
};

struct vsphere_target {
  const char *host;
  const char *port; /* NULL = 443 */
  const char *user;
  const char *password;
  const char *cacert; /* NULL = the system's CA store */
  bool insecure;      /* no TLS verification (opt-in, said in the output) */
  enum vsphere_api api;
  const char *session_file; /* NULL = log in and out every run */
  int family;               /* AF_UNSPEC, or AF_INET / AF_INET6 only (-4 / -6) */
  tsync_trace_fn trace;
  void *trace_ctx;
};

/* A host and its time-related managed objects. */
struct vsphere_hostref {
  char moid[VSPHERE_MOID_SIZE];
  char name[TSYNC_NAME_SIZE];
  char datetime_system[VSPHERE_MOID_SIZE];
  char service_system[VSPHERE_MOID_SIZE];
};

struct vsphere;

/* libcurl's and libxml2's process-wide set-up: call once, before any thread uses this
 * module (not thread-safe itself). Returns false when libcurl cannot start. */
bool vsphere_global_init(void);
void vsphere_global_cleanup(void);

/* Connects, reads the service content, chooses the API, logs in or reuses the session
 * file's session. TSYNC_ERR_REFUSED for bad credentials, TSYNC_ERR_PERM for TLS
 * verification failures, TSYNC_ERR_ARG for an API that cannot be used (VI/JSON asked of
 * an ESXi host). On failure nothing is left logged in. */
enum tsync_status vsphere_open(struct vsphere **out, const struct vsphere_target *t,
                               struct timespec deadline, struct tsync_err *err) TSYNC_WUR;

/* Logs out (unless the session is kept in a session file) and frees. Waits at most
 * until deadline. NULL is ignored. */
void vsphere_close(struct vsphere *v, struct timespec deadline);

/* "SOAP 8.0.3.0 (HostAgent)" or "VI/JSON 8.0.3.0 (VirtualCenter)". */
const char *vsphere_api_name(const struct vsphere *v);
const char *vsphere_api_version(const struct vsphere *v);
bool vsphere_is_vcenter(const struct vsphere *v);

/* The hosts to check: an ESXi host itself; on vCenter the one named name (NULL: all).
 * *list is malloc'd (free it); *n may be 0. */
enum tsync_status vsphere_list_hosts(struct vsphere *v, const char *name,
                                     struct vsphere_hostref **list, size_t *n,
                                     struct timespec deadline,
                                     struct tsync_err *err) TSYNC_WUR;

/* Reads one host's date/time info, ntpd service and clock (QueryDateTime, timed
 * locally for the offset) into out. */
enum tsync_status vsphere_read_host(struct vsphere *v, const struct vsphere_hostref *h,
                                    struct tsync_host *out, struct timespec deadline,
                                    struct tsync_err *err) TSYNC_WUR;

#endif
