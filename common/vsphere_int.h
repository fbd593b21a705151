/* vsphere_int.h -- internal to the vsphere modules: the session and the transport
 * shared by the SOAP (vsphere_soap.c) and VI/JSON (vsphere_json.c) dialects. */
#ifndef TSYNC_VSPHERE_INT_H
#define TSYNC_VSPHERE_INT_H

#include <curl/curl.h>

#include "vsphere.h"

#define VS_TOKEN_SIZE 512

struct vs_response {
  long status;                /* HTTP status */
  char content_type[64];
  char *body;                 /* NUL-terminated, malloc'd */
  size_t len;
  char session_id[VS_TOKEN_SIZE]; /* vmware-api-session-id response header */
  char cookie[VS_TOKEN_SIZE];     /* vmware_soap_session=... from Set-Cookie */
  double sent, received;          /* CLOCK_REALTIME around the exchange, UNIX seconds */
};

struct vsphere;

/* One dialect: SOAP or VI/JSON. A call that meets NotAuthenticated returns
 * TSYNC_ERR_UNAUTH so the caller can log in again. */
struct vs_ops {
  const char *name;
  enum tsync_status (*login)(struct vsphere *v, struct timespec deadline,
                             struct tsync_err *err);
  void (*logout)(struct vsphere *v, struct timespec deadline);
  enum tsync_status (*list_hosts)(struct vsphere *v, const char *name,
                                  struct vsphere_hostref **list, size_t *n,
                                  struct timespec deadline, struct tsync_err *err);
  enum tsync_status (*read_host)(struct vsphere *v, const struct vsphere_hostref *h,
                                 struct tsync_host *out, struct timespec deadline,
                                 struct tsync_err *err);
};

extern const struct vs_ops vs_soap_ops;
extern const struct vs_ops vs_json_ops;

/* What the service content told us (either dialect). */
struct vs_content {
  char api_type[32];          /* "HostAgent" or "VirtualCenter" */
  char api_version[32];       /* "8.0.3.0", "6.7.3" */
  char session_manager[VSPHERE_MOID_SIZE];
  char property_collector[VSPHERE_MOID_SIZE];
  char view_manager[VSPHERE_MOID_SIZE];
  char root_folder[VSPHERE_MOID_SIZE];
};

struct vsphere {
  CURL *curl;
  char base[320];             /* https://host:port */
  const struct vsphere_target *t;
  const struct vs_ops *ops;
  struct vs_content sc;
  char release[32];           /* VI/JSON release in URLs */
  char session[VS_TOKEN_SIZE]; /* SOAP cookie or VI/JSON session id */
  bool logged_in;
  bool from_file;             /* the session came from the session file */
  char api_name[96];
};

/* One HTTP exchange: method "GET" or "POST", path below base, optional body and
 * content type, optional SOAPAction. Sends the session (cookie or header) when set.
 * Fills resp (free with vs_response_free) for any HTTP status; fails only on transport
 * errors, TLS failures, the deadline, or a body over VSPHERE_MAX_BODY. */
enum tsync_status vs_request(struct vsphere *v, const char *method, const char *path,
                             const char *content_type, const char *soap_action,
                             const char *body, struct timespec deadline,
                             struct vs_response *resp, struct tsync_err *err) TSYNC_WUR;

void vs_response_free(struct vs_response *resp);

void vs_trace(const struct vsphere *v, int level, const char *fmt, ...) TSYNC_PRINTF(3, 4);

/* Reads the service content in one dialect into v->sc. JSON: TSYNC_ERR_PROTO, with
 * *json false, when the endpoint does not speak VI/JSON (an ESXi host answers with an XML
 * fault); *json true with a failure means it does but answered badly. */
enum tsync_status vs_json_content(struct vsphere *v, bool *json, struct timespec deadline,
                                  struct tsync_err *err) TSYNC_WUR;
enum tsync_status vs_soap_content(struct vsphere *v, struct timespec deadline,
                                  struct tsync_err *err) TSYNC_WUR;

/* Parsers of response bodies, pure (fuzzed): fill what the body has, leave the rest.
 * TSYNC_ERR_PROTO for a body that is not what the call returns. */
enum tsync_status vs_json_parse_content(const char *body, size_t len, struct vs_content *sc,
                                        struct tsync_err *err) TSYNC_WUR;
enum tsync_status vs_json_parse_datetime_info(const char *body, size_t len, double now,
                                              struct tsync_host *out,
                                              struct tsync_err *err) TSYNC_WUR;
enum tsync_status vs_json_parse_service_info(const char *body, size_t len,
                                             struct tsync_host *out,
                                             struct tsync_err *err) TSYNC_WUR;
enum tsync_status vs_soap_parse_content(const char *body, size_t len, struct vs_content *sc,
                                        struct tsync_err *err) TSYNC_WUR;
enum tsync_status vs_soap_parse_host_props(const char *body, size_t len, double now,
                                           struct tsync_host *out,
                                           struct tsync_err *err) TSYNC_WUR;

/* Compares dotted API versions ("8.0.3.0" vs "8.0.1"): <0, 0, >0. */
int vs_version_cmp(const char *a, const char *b);


#endif
