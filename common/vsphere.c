/* vsphere.c -- the vSphere session: HTTP transport (libcurl), API choice, login and
 * logout, the session file. The dialects live in vsphere_soap.c and vsphere_json.c. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>

#include "deadline.h"
#include "keyfile.h"
#include "vsphere_int.h"

/* A growing response body with a ceiling (curl's dynbuf idea): past it, the transfer
 * is aborted and the response is refused as too large. */
struct body {
  char *p;
  size_t len, cap;
  bool too_large;
};

void
vs_trace(const struct vsphere *v, int level, const char *fmt, ...)
{
  char line[320];
  va_list ap;

  if (!v->t->trace)
    return;
  va_start(ap, fmt);
  if (vsnprintf(line, sizeof(line), fmt, ap) >= 0)
    v->t->trace(v->t->trace_ctx, level, line);
  va_end(ap);
}

int
vs_version_cmp(const char *a, const char *b)
{
  while (*a || *b) {
    long x = 0, y = 0;

    while (isdigit((unsigned char)*a))
      x = x * 10 + (*a++ - '0');
    while (isdigit((unsigned char)*b))
      y = y * 10 + (*b++ - '0');
    if (x != y)
      return x < y ? -1 : 1;
    if (*a == '.')
      a++;
    else if (*a)
      return 0; /* not a version: treat as equal from here */
    if (*b == '.')
      b++;
    else if (*b)
      return 0;
  }
  return 0;
}

static double
realtime(void)
{
  struct timespec ts;

  (void)clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t
on_body(char *data, size_t size, size_t n, void *ctx)
{
  struct body *b = ctx;
  size_t add = size * n;

  if (b->len + add > VSPHERE_MAX_BODY) {
    b->too_large = true;
    return 0; /* aborts the transfer */
  }
  if (b->len + add + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 16384;
    char *p;

    while (cap < b->len + add + 1)
      cap *= 2;
    p = realloc(b->p, cap);
    if (!p)
      return 0;
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->len, data, add);
  b->len += add;
  b->p[b->len] = '\0';
  return add;
}

/* Header value of line if it is "name: value" (case-insensitive), trimmed, into buf. */
static bool
header_value(const char *line, size_t len, const char *name, char *buf, size_t size)
{
  size_t nl = strlen(name), i;

  if (len <= nl + 1 || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
    return false;
  line += nl + 1;
  len -= nl + 1;
  while (len && (*line == ' ' || *line == '\t'))
    line++, len--;
  while (len && (line[len - 1] == '\r' || line[len - 1] == '\n' || line[len - 1] == ' '))
    len--;
  for (i = 0; i < len && i + 1 < size; i++)
    buf[i] = line[i];
  buf[i] = '\0';
  return true;
}

static size_t
on_header(char *data, size_t size, size_t n, void *ctx)
{
  struct vs_response *r = ctx;
  size_t len = size * n;
  char value[VS_TOKEN_SIZE];

  if (header_value(data, len, "Content-Type", value, sizeof(value)))
    tsync_copy(r->content_type, sizeof(r->content_type), value);
  else if (header_value(data, len, "vmware-api-session-id", value, sizeof(value)))
    tsync_copy(r->session_id, sizeof(r->session_id), value);
  else if (header_value(data, len, "Set-Cookie", value, sizeof(value)) &&
           strncmp(value, "vmware_soap_session=", 20) == 0)
    /* keep "name=value" only, without the attributes */
    tsync_copy(r->cookie,
               strcspn(value, ";") + 1 < sizeof(r->cookie) ? strcspn(value, ";") + 1
                                                           : sizeof(r->cookie),
               value);
  return len;
}

void
vs_response_free(struct vs_response *resp)
{
  free(resp->body);
  memset(resp, 0, sizeof(*resp));
}

/* Maps a libcurl failure to our status; TLS problems are the user's to fix (UNKNOWN). */
static enum tsync_status
transfer_error(const struct vsphere *v, CURLcode rc, const char *detail, bool too_large,
               struct tsync_err *err)
{
  switch (rc) {
  case CURLE_OPERATION_TIMEDOUT:
    return tsync_err_set(err, TSYNC_ERR_TIMEOUT, "no answer from %s in time: %s", v->t->host,
                         detail);
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_ISSUER_ERROR:
    return tsync_err_set(err, TSYNC_ERR_PERM,
                         "TLS verification failed for %s: %s (give its CA with --cacert FILE)",
                         v->t->host, detail);
  case CURLE_COULDNT_RESOLVE_HOST:
    return tsync_err_set(err, TSYNC_ERR_RESOLVE, "cannot resolve %s: %s", v->t->host, detail);
  case CURLE_WRITE_ERROR:
    if (too_large)
      return tsync_err_set(err, TSYNC_ERR_TOO_LARGE,
                           "response from %s larger than %d bytes: refused", v->t->host,
                           VSPHERE_MAX_BODY);
    return tsync_err_set(err, TSYNC_ERR_NOMEM, "out of memory reading %s", v->t->host);
  default:
    return tsync_err_set(err, TSYNC_ERR_CONNECT, "cannot talk to %s: %s", v->t->host, detail);
  }
}

static struct curl_slist *
request_headers(const struct vsphere *v, const char *content_type, const char *soap_action)
{
  struct curl_slist *h = NULL, *n;
  char line[VS_TOKEN_SIZE + 64];

  /* no "Expect: 100-continue" round trip on POSTs */
  h = curl_slist_append(h, "Expect:");
  if (h && content_type &&
      snprintf(line, sizeof(line), "Content-Type: %s", content_type) > 0 &&
      (n = curl_slist_append(h, line)))
    h = n;
  if (h && soap_action &&
      snprintf(line, sizeof(line), "SOAPAction: \"%s\"", soap_action) > 0 &&
      (n = curl_slist_append(h, line)))
    h = n;
  if (h && v->session[0] && v->ops == &vs_json_ops &&
      snprintf(line, sizeof(line), "vmware-api-session-id: %s", v->session) > 0 &&
      (n = curl_slist_append(h, line)))
    h = n;
  if (h && v->session[0] && v->ops == &vs_soap_ops &&
      snprintf(line, sizeof(line), "Cookie: %s", v->session) > 0 &&
      (n = curl_slist_append(h, line)))
    h = n;
  return h;
}

enum tsync_status
vs_request(struct vsphere *v, const char *method, const char *path, const char *content_type,
           const char *soap_action, const char *body, struct timespec deadline,
           struct vs_response *resp, struct tsync_err *err)
{
  char url[sizeof(v->base) + 512], errbuf[CURL_ERROR_SIZE] = "";
  struct body b = {NULL, 0, 0, false};
  struct curl_slist *h;
  int ms = tsync_ms_left(deadline);
  CURLcode rc;

  memset(resp, 0, sizeof(*resp));
  if (ms == 0)
    return tsync_err_set(err, TSYNC_ERR_TIMEOUT, "no time left to ask %s", v->t->host);
  if (snprintf(url, sizeof(url), "%s%s", v->base, path) >= (int)sizeof(url))
    return tsync_err_set(err, TSYNC_ERR_ARG, "URL too long");
  h = request_headers(v, content_type, soap_action);
  curl_easy_setopt(v->curl, CURLOPT_URL, url);
  curl_easy_setopt(v->curl, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(v->curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(v->curl, CURLOPT_TIMEOUT_MS, (long)ms);
  curl_easy_setopt(v->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)ms);
  curl_easy_setopt(v->curl, CURLOPT_WRITEDATA, &b);
  curl_easy_setopt(v->curl, CURLOPT_HEADERDATA, resp);
  if (strcmp(method, "POST") == 0) {
    curl_easy_setopt(v->curl, CURLOPT_POST, 1L);
    curl_easy_setopt(v->curl, CURLOPT_POSTFIELDS, body ? body : "");
  } else {
    curl_easy_setopt(v->curl, CURLOPT_HTTPGET, 1L);
  }
  vs_trace(v, 3, "%s %s", method, path);
  resp->sent = realtime();
  rc = curl_easy_perform(v->curl);
  resp->received = realtime();
  curl_easy_setopt(v->curl, CURLOPT_HTTPHEADER, NULL);
  curl_slist_free_all(h);
  if (rc != CURLE_OK) {
    free(b.p);
    return transfer_error(v, rc, errbuf[0] ? errbuf : curl_easy_strerror(rc), b.too_large,
                          err);
  }
  curl_easy_getinfo(v->curl, CURLINFO_RESPONSE_CODE, &resp->status);
  resp->body = b.p ? b.p : calloc(1, 1);
  resp->len = b.len;
  vs_trace(v, 3, "-> HTTP %ld, %zu bytes, %s", resp->status, resp->len, resp->content_type);
  if (!resp->body)
    return tsync_err_set(err, TSYNC_ERR_NOMEM, "out of memory");
  return TSYNC_OK;
}

/* The session file: "api=", "base=", "session=" lines, 0600, owned by this user. */
static enum tsync_status
session_load(struct vsphere *v, struct tsync_err *err)
{
  char buf[KEYFILE_MAX], api[16] = "", base[sizeof(v->base)] = "", session[VS_TOKEN_SIZE] = "";
  const char *path = v->t->session_file;
  char *pos = buf, *line;
  bool missing;

  if (keyfile_read(path, "session file", true, &missing, buf, sizeof(buf), err) != TSYNC_OK)
    return TSYNC_ERR_ARG;
  while ((line = keyfile_line(&pos))) {
    const char *val;

    if ((val = keyfile_value(line, "api")))
      tsync_copy(api, sizeof(api), val);
    else if ((val = keyfile_value(line, "base")))
      tsync_copy(base, sizeof(base), val);
    else if ((val = keyfile_value(line, "session")))
      tsync_copy(session, sizeof(session), val);
  }
  memset(buf, 0, sizeof(buf));
  /* a session of another endpoint or dialect is not ours to use */
  if (session[0] && strcmp(api, v->ops->name) == 0 && strcmp(base, v->base) == 0) {
    tsync_copy(v->session, sizeof(v->session), session);
    v->logged_in = v->from_file = true;
    vs_trace(v, 1, "reusing the session in %s", path);
  }
  return TSYNC_OK;
}

static void
session_save(const struct vsphere *v)
{
  char tmp[4096 + 32], text[sizeof(v->base) + VS_TOKEN_SIZE + 64];
  int fd, len;

  len = snprintf(text, sizeof(text), "api=%s\nbase=%s\nsession=%s\n", v->ops->name, v->base,
                 v->session);
  if (len < 0 || len >= (int)sizeof(text) ||
      snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", v->t->session_file, (long)getpid()) < 0)
    return;
  /* written whole under another name, then renamed: never a half file, never 0644 */
  fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return;
  if (write(fd, text, (size_t)len) != len || close(fd) < 0 || rename(tmp, v->t->session_file))
    (void)unlink(tmp);
  else
    vs_trace(v, 1, "session kept in %s", v->t->session_file);
}

static enum tsync_status
login(struct vsphere *v, struct timespec deadline, struct tsync_err *err)
{
  enum tsync_status st;

  v->session[0] = '\0';
  v->logged_in = v->from_file = false;
  st = v->ops->login(v, deadline, err);
  if (st != TSYNC_OK)
    return st;
  v->logged_in = true;
  if (v->t->session_file)
    session_save(v);
  return TSYNC_OK;
}

/* Service content, then the dialect: VI/JSON where vCenter >= 8.0U1 offers it. */
static enum tsync_status
choose_api(struct vsphere *v, struct timespec deadline, struct tsync_err *err)
{
  if (v->t->api != VSPHERE_API_SOAP) {
    enum tsync_status st;
    bool json = false;

    v->ops = &vs_json_ops;
    st = vs_json_content(v, &json, deadline, err);
    if (st == TSYNC_OK && strcmp(v->sc.api_type, "VirtualCenter") == 0 &&
        vs_version_cmp(v->sc.api_version, VSPHERE_JSON_MIN_RELEASE) >= 0) {
      tsync_copy(v->release, sizeof(v->release), v->sc.api_version);
      return TSYNC_OK;
    }
    if (st != TSYNC_OK && (st != TSYNC_ERR_PROTO || (json && v->t->api == VSPHERE_API_JSON)))
      return st; /* TLS, timeout, connection, bad VI/JSON: the same for SOAP */
    if (v->t->api == VSPHERE_API_JSON)
      return tsync_err_set(err, TSYNC_ERR_ARG,
                           "%s does not serve VI/JSON (vCenter 8.0U1 and later do; ESXi "
                           "hosts speak SOAP only): use --api=soap",
                           v->t->host);
  }
  v->ops = &vs_soap_ops;
  return vs_soap_content(v, deadline, err);
}

static bool
setup_curl(struct vsphere *v)
{
  const struct vsphere_target *t = v->t;
  bool v6 = strchr(t->host, ':') != NULL;

  if (snprintf(v->base, sizeof(v->base), v6 ? "https://[%s]:%s" : "https://%s:%s", t->host,
               t->port ? t->port : "443") >= (int)sizeof(v->base))
    return false;
  v->curl = curl_easy_init();
  if (!v->curl)
    return false;
  curl_easy_setopt(v->curl, CURLOPT_NOSIGNAL, 1L); /* no SIGALRM: threads, deadlines */
  curl_easy_setopt(v->curl, CURLOPT_PROTOCOLS_STR, "https");
  curl_easy_setopt(v->curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(v->curl, CURLOPT_IPRESOLVE,
                   t->family == AF_INET    ? CURL_IPRESOLVE_V4
                   : t->family == AF_INET6 ? CURL_IPRESOLVE_V6
                                           : CURL_IPRESOLVE_WHATEVER);
  curl_easy_setopt(v->curl, CURLOPT_SSL_VERIFYPEER, t->insecure ? 0L : 1L);
  curl_easy_setopt(v->curl, CURLOPT_SSL_VERIFYHOST, t->insecure ? 0L : 2L);
  if (t->cacert)
    curl_easy_setopt(v->curl, CURLOPT_CAINFO, t->cacert);
  curl_easy_setopt(v->curl, CURLOPT_USERAGENT, "timesync-monitor/" TSYNC_VERSION);
  curl_easy_setopt(v->curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(v->curl, CURLOPT_HEADERFUNCTION, on_header);
  return true;
}

bool
vsphere_global_init(void)
{
  xmlInitParser();
  return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

void
vsphere_global_cleanup(void)
{
  curl_global_cleanup();
  xmlCleanupParser();
}

enum tsync_status
vsphere_open(struct vsphere **out, const struct vsphere_target *t, struct timespec deadline,
             struct tsync_err *err)
{
  struct vsphere *v = calloc(1, sizeof(*v));
  enum tsync_status st;

  *out = NULL;
  if (!v)
    return tsync_err_set(err, TSYNC_ERR_NOMEM, "out of memory");
  v->t = t;
  if (!setup_curl(v)) {
    vsphere_close(v, deadline);
    return tsync_err_set(err, TSYNC_ERR_ARG, "cannot set up HTTPS to %s", t->host);
  }
  st = choose_api(v, deadline, err);
  if (st == TSYNC_OK && t->session_file)
    st = session_load(v, err);
  if (st == TSYNC_OK && !v->logged_in)
    st = login(v, deadline, err);
  if (st != TSYNC_OK) {
    vsphere_close(v, deadline);
    return st;
  }
  if (snprintf(v->api_name, sizeof(v->api_name), "%s %s (%s)", v->ops->name, v->sc.api_version,
               v->sc.api_type) < 0)
    v->api_name[0] = '\0';
  *out = v;
  return TSYNC_OK;
}

void
vsphere_close(struct vsphere *v, struct timespec deadline)
{
  if (!v)
    return;
  /* a session kept in the session file stays open for the next run */
  if (v->logged_in && !v->t->session_file)
    v->ops->logout(v, deadline);
  if (v->curl)
    curl_easy_cleanup(v->curl);
  free(v);
}

const char *
vsphere_api_name(const struct vsphere *v)
{
  return v->api_name;
}

const char *
vsphere_api_version(const struct vsphere *v)
{
  return v->sc.api_version;
}

bool
vsphere_is_vcenter(const struct vsphere *v)
{
  return strcmp(v->sc.api_type, "VirtualCenter") == 0;
}

enum tsync_status
vsphere_list_hosts(struct vsphere *v, const char *name, struct vsphere_hostref **list,
                   size_t *n, struct timespec deadline, struct tsync_err *err)
{
  enum tsync_status st = v->ops->list_hosts(v, name, list, n, deadline, err);

  /* an expired session from the session file: log in again, once */
  if (st == TSYNC_ERR_UNAUTH && v->from_file) {
    vs_trace(v, 1, "the saved session has expired; logging in again");
    st = login(v, deadline, err);
    if (st == TSYNC_OK)
      st = v->ops->list_hosts(v, name, list, n, deadline, err);
  }
  return st;
}

enum tsync_status
vsphere_read_host(struct vsphere *v, const struct vsphere_hostref *h, struct tsync_host *out,
                  struct timespec deadline, struct tsync_err *err)
{
  return v->ops->read_host(v, h, out, deadline, err);
}
