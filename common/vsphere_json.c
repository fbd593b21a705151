/* vsphere_json.c -- the VI/JSON dialect (vCenter >= 8.0U1): URLs
 * /sdk/vim25/{release}/{MoType}/{moId}/{property|Method}, the vmware-api-session-id
 * header, faults as HTTP 500 JSON objects (esxi-vsphere-api.md §A1, §A2). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "vsphere_int.h"

#define PROBE_RELEASE VSPHERE_JSON_MIN_RELEASE

static const char *
str(json_t *obj, const char *key)
{
  const char *s = json_string_value(json_object_get(obj, key));

  return s ? s : "";
}

static json_t *
load(const char *body, size_t len, struct tsync_err *err)
{
  json_error_t je;
  /* DECODE_ANY: properties like "name" and QueryDateTime come back as bare strings */
  json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);

  if (!root)
    tsync_err_set(err, TSYNC_ERR_PROTO, "malformed JSON from the server: %s", je.text);
  return root;
}

enum tsync_status
vs_json_parse_content(const char *body, size_t len, struct vs_content *sc,
                      struct tsync_err *err)
{
  json_t *root = load(body, len, err), *about;

  if (!root)
    return TSYNC_ERR_PROTO;
  about = json_object_get(root, "about");
  if (!json_is_object(root) || !json_is_object(about) || !*str(about, "apiVersion")) {
    json_decref(root);
    return tsync_err_set(err, TSYNC_ERR_PROTO, "the service content has no about.apiVersion");
  }
  tsync_copy(sc->api_type, sizeof(sc->api_type), str(about, "apiType"));
  tsync_copy(sc->api_version, sizeof(sc->api_version), str(about, "apiVersion"));
  tsync_copy(sc->session_manager, sizeof(sc->session_manager),
          str(json_object_get(root, "sessionManager"), "value"));
  tsync_copy(sc->property_collector, sizeof(sc->property_collector),
          str(json_object_get(root, "propertyCollector"), "value"));
  tsync_copy(sc->view_manager, sizeof(sc->view_manager),
          str(json_object_get(root, "viewManager"), "value"));
  tsync_copy(sc->root_folder, sizeof(sc->root_folder),
          str(json_object_get(root, "rootFolder"), "value"));
  json_decref(root);
  return TSYNC_OK;
}

static void
parse_health(json_t *info, double now, struct tsync_host *out)
{
  json_t *v;
  double t;

  /* the 7.0.3 fields: absent on older APIs, and omitted when unset */
  out->have_health = json_object_get(info, "enabled") || json_object_get(info, "serviceSync");
  if (!out->have_health)
    return;
  if ((v = json_object_get(info, "serviceSync")) && json_is_boolean(v)) {
    out->have_service_sync = true;
    out->service_sync = json_is_true(v);
  }
  if ((v = json_object_get(info, "inFallbackState")) && json_is_boolean(v)) {
    out->have_fallback = true;
    out->in_fallback = json_is_true(v);
  }
  if (json_is_string(v = json_object_get(info, "lastSyncTime")) &&
      tsync_parse_datetime(json_string_value(v), &t, NULL) == TSYNC_OK) {
    out->have_last_sync = true;
    out->last_sync_age = now - t;
  }
  tsync_copy(out->remote_ntp_server, sizeof(out->remote_ntp_server),
          str(info, "remoteNtpServer"));
}

enum tsync_status
vs_json_parse_datetime_info(const char *body, size_t len, double now, struct tsync_host *out,
                            struct tsync_err *err)
{
  json_t *info = load(body, len, err), *servers, *s;
  size_t i;

  if (!info)
    return TSYNC_ERR_PROTO;
  if (!json_is_object(info)) {
    json_decref(info);
    return tsync_err_set(err, TSYNC_ERR_PROTO, "dateTimeInfo is not an object");
  }
  servers = json_object_get(json_object_get(info, "ntpConfig"), "server");
  out->n_ntp_servers = 0;
  json_array_foreach(servers, i, s)
  {
    if (json_is_string(s) && out->n_ntp_servers < TSYNC_MAX_NTP_SERVERS)
      tsync_copy(out->ntp_servers[out->n_ntp_servers++], TSYNC_NAME_SIZE, json_string_value(s));
  }
  tsync_copy(out->clock_protocol, sizeof(out->clock_protocol), str(info, "systemClockProtocol"));
  parse_health(info, now, out);
  json_decref(info);
  return TSYNC_OK;
}

enum tsync_status
vs_json_parse_service_info(const char *body, size_t len, struct tsync_host *out,
                           struct tsync_err *err)
{
  json_t *info = load(body, len, err), *svc;
  size_t i;

  if (!info)
    return TSYNC_ERR_PROTO;
  if (!json_is_object(info)) {
    json_decref(info);
    return tsync_err_set(err, TSYNC_ERR_PROTO, "serviceInfo is not an object");
  }
  json_array_foreach(json_object_get(info, "service"), i, svc)
  {
    if (strcmp(str(svc, "key"), "ntpd") != 0)
      continue;
    out->have_ntpd = true;
    out->ntpd_running = json_is_true(json_object_get(svc, "running"));
    tsync_copy(out->ntpd_policy, sizeof(out->ntpd_policy), str(svc, "policy"));
  }
  json_decref(info);
  return TSYNC_OK;
}

/* A fault in an HTTP 500 JSON body, as a status: NotAuthenticated is UNAUTH (log in
 * again), InvalidLogin and the rest REFUSED with vCenter's own words. */
static enum tsync_status
fault(const struct vs_response *r, const char *what, struct tsync_err *err)
{
  json_t *f = r->status == 500 && strstr(r->content_type, "json")
                  ? json_loadb(r->body, r->len, 0, NULL)
                  : NULL;
  enum tsync_status st;

  if (!json_is_object(f))
    st = tsync_err_set(err, TSYNC_ERR_PROTO, "%s: unexpected HTTP %ld (%s)", what, r->status,
                       r->content_type[0] ? r->content_type : "no content type");
  else if (strcmp(str(f, "_typeName"), "NotAuthenticated") == 0)
    st = tsync_err_set(err, TSYNC_ERR_UNAUTH, "%s: the session is not authenticated", what);
  else if (strcmp(str(f, "_typeName"), "InvalidLogin") == 0)
    st = tsync_err_set(err, TSYNC_ERR_REFUSED, "login failed: %s", str(f, "faultstring"));
  else
    st = tsync_err_set(err, TSYNC_ERR_REFUSED, "%s failed: %s: %s", what, str(f, "_typeName"),
                       str(f, "faultstring"));
  json_decref(f);
  return st;
}

/* One call: GET a property (body NULL) or POST a method. 2xx fills *resp. */
static enum tsync_status
call(struct vsphere *v, const char *type, const char *moid, const char *member,
     const char *body, struct timespec deadline, struct vs_response *resp,
     struct tsync_err *err)
{
  char path[640], what[160];
  char *id = curl_easy_escape(v->curl, moid, 0);
  enum tsync_status st;

  if (!id)
    return tsync_err_set(err, TSYNC_ERR_NOMEM, "out of memory");
  /* moIds like "session[...]" must not be taken for URL syntax */
  if (snprintf(path, sizeof(path), "/sdk/vim25/%s/%s/%s/%s", v->release, type, id, member) >=
      (int)sizeof(path)) {
    curl_free(id);
    return tsync_err_set(err, TSYNC_ERR_ARG, "request path too long");
  }
  curl_free(id);
  st = vs_request(v, body ? "POST" : "GET", path, body ? "application/json" : NULL, NULL,
                  body, deadline, resp, err);
  if (st != TSYNC_OK)
    return st;
  if (resp->status >= 200 && resp->status < 300)
    return TSYNC_OK;
  if (snprintf(what, sizeof(what), "%s.%s", type, member) < 0)
    what[0] = '\0';
  st = fault(resp, what, err);
  vs_response_free(resp);
  return st;
}

enum tsync_status
vs_json_content(struct vsphere *v, bool *json, struct timespec deadline,
                struct tsync_err *err)
{
  struct vs_response r;
  enum tsync_status st;

  tsync_copy(v->release, sizeof(v->release), PROBE_RELEASE);
  st = vs_request(v, "GET", "/sdk/vim25/" PROBE_RELEASE "/ServiceInstance/ServiceInstance/content",
                  NULL, NULL, NULL, deadline, &r, err);
  if (st != TSYNC_OK)
    return st;
  /* an ESXi host answers here with an XML SOAP fault: not VI/JSON */
  *json = strstr(r.content_type, "json") != NULL;
  if (r.status != 200 || !*json)
    st = tsync_err_set(err, TSYNC_ERR_PROTO, "no VI/JSON at %s (HTTP %ld, %s)", v->t->host,
                       r.status, r.content_type);
  else
    st = vs_json_parse_content(r.body, r.len, &v->sc, err);
  vs_response_free(&r);
  return st;
}

static enum tsync_status
json_login(struct vsphere *v, struct timespec deadline, struct tsync_err *err)
{
  json_t *req = json_pack("{s:s, s:s}", "userName", v->t->user, "password", v->t->password);
  char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
  struct vs_response r;
  enum tsync_status st;

  json_decref(req);
  if (!body)
    return tsync_err_set(err, TSYNC_ERR_NOMEM, "out of memory");
  st = call(v, "SessionManager", v->sc.session_manager, "Login", body, deadline, &r, err);
  /* the request held the password: wipe it before freeing */
  memset(body, 0, strlen(body));
  free(body);
  if (st != TSYNC_OK)
    return st;
  if (!r.session_id[0])
    st = tsync_err_set(err, TSYNC_ERR_PROTO, "Login returned no vmware-api-session-id");
  else
    tsync_copy(v->session, sizeof(v->session), r.session_id);
  vs_response_free(&r);
  return st;
}

static void
json_logout(struct vsphere *v, struct timespec deadline)
{
  struct vs_response r;

  if (call(v, "SessionManager", v->sc.session_manager, "Logout", "{}", deadline, &r, NULL) ==
      TSYNC_OK)
    vs_response_free(&r);
  v->logged_in = false;
}

/* GET a property and parse it as JSON; *out owned by the caller. */
static enum tsync_status
get_json(struct vsphere *v, const char *type, const char *moid, const char *prop,
         struct timespec deadline, json_t **out, struct tsync_err *err)
{
  struct vs_response r;
  enum tsync_status st = call(v, type, moid, prop, NULL, deadline, &r, err);

  if (st != TSYNC_OK)
    return st;
  *out = load(r.body, r.len, err);
  vs_response_free(&r);
  return *out ? TSYNC_OK : TSYNC_ERR_PROTO;
}

/* name and configManager of one host, into ref; false when not wanted or unreadable. */
static enum tsync_status
describe_host(struct vsphere *v, const char *moid, const char *want,
              struct vsphere_hostref *ref, bool *keep, struct timespec deadline,
              struct tsync_err *err)
{
  json_t *name = NULL, *cm = NULL;
  enum tsync_status st;

  *keep = false;
  st = get_json(v, "HostSystem", moid, "name", deadline, &name, err);
  if (st != TSYNC_OK)
    return st;
  if (!json_is_string(name) || (want && strcmp(json_string_value(name), want) != 0)) {
    json_decref(name);
    return TSYNC_OK;
  }
  tsync_copy(ref->moid, sizeof(ref->moid), moid);
  tsync_copy(ref->name, sizeof(ref->name), json_string_value(name));
  json_decref(name);
  st = get_json(v, "HostSystem", moid, "configManager", deadline, &cm, err);
  if (st != TSYNC_OK)
    return st;
  tsync_copy(ref->datetime_system, sizeof(ref->datetime_system),
          str(json_object_get(cm, "dateTimeSystem"), "value"));
  tsync_copy(ref->service_system, sizeof(ref->service_system),
          str(json_object_get(cm, "serviceSystem"), "value"));
  json_decref(cm);
  *keep = true;
  return TSYNC_OK;
}

static enum tsync_status
walk_view(struct vsphere *v, const char *view, const char *want, struct vsphere_hostref **list,
          size_t *n, struct timespec deadline, struct tsync_err *err)
{
  json_t *members = NULL, *m;
  enum tsync_status st = get_json(v, "ContainerView", view, "view", deadline, &members, err);
  size_t i;

  if (st != TSYNC_OK)
    return st;
  *list = calloc(json_array_size(members) + 1, sizeof(**list));
  if (!*list) {
    json_decref(members);
    return tsync_err_set(err, TSYNC_ERR_NOMEM, "out of memory");
  }
  json_array_foreach(members, i, m)
  {
    bool keep;

    if (strcmp(str(m, "type"), "HostSystem") != 0)
      continue;
    st = describe_host(v, str(m, "value"), want, &(*list)[*n], &keep, deadline, err);
    if (st != TSYNC_OK)
      break;
    *n += keep;
  }
  json_decref(members);
  return st;
}

static enum tsync_status
json_list_hosts(struct vsphere *v, const char *name, struct vsphere_hostref **list, size_t *n,
                struct timespec deadline, struct tsync_err *err)
{
  json_t *req = json_pack("{s:{s:s, s:s, s:s}, s:[s], s:b}", "container", "_typeName",
                          "ManagedObjectReference", "type", "Folder", "value",
                          v->sc.root_folder, "type", "HostSystem", "recursive", 1);
  char *body = req ? json_dumps(req, JSON_COMPACT) : NULL, view[VSPHERE_MOID_SIZE];
  struct vs_response r;
  enum tsync_status st;
  json_t *ref;

  json_decref(req);
  *list = NULL;
  *n = 0;
  if (!body)
    return tsync_err_set(err, TSYNC_ERR_NOMEM, "out of memory");
  st = call(v, "ViewManager", v->sc.view_manager, "CreateContainerView", body, deadline, &r,
            err);
  free(body);
  if (st != TSYNC_OK)
    return st;
  ref = load(r.body, r.len, err);
  tsync_copy(view, sizeof(view), str(ref, "value"));
  json_decref(ref);
  vs_response_free(&r);
  if (!view[0])
    return tsync_err_set(err, TSYNC_ERR_PROTO, "CreateContainerView returned no view");
  st = walk_view(v, view, name, list, n, deadline, err);
  /* views live as long as the session: destroy it on every path */
  if (call(v, "ContainerView", view, "DestroyView", "{}", deadline, &r, NULL) == TSYNC_OK)
    vs_response_free(&r);
  return st;
}

static enum tsync_status
query_clock(struct vsphere *v, const struct vsphere_hostref *h, struct tsync_host *out,
            struct timespec deadline, struct tsync_err *err)
{
  struct vs_response r;
  enum tsync_status st = call(v, "HostDateTimeSystem", h->datetime_system, "QueryDateTime",
                              "{}", deadline, &r, err);
  json_t *when;
  double t;

  if (st != TSYNC_OK)
    return st;
  when = load(r.body, r.len, err);
  if (!json_is_string(when) ||
      tsync_parse_datetime(json_string_value(when), &t, err) != TSYNC_OK) {
    st = tsync_err_set(err, TSYNC_ERR_PROTO, "QueryDateTime did not return a date and time");
  } else {
    /* the host read its clock somewhere between our send and receive */
    out->have_offset = true;
    out->offset = t - (r.sent + r.received) / 2.0;
    out->rtt = r.received - r.sent;
  }
  json_decref(when);
  vs_response_free(&r);
  return st;
}

static enum tsync_status
json_read_host(struct vsphere *v, const struct vsphere_hostref *h, struct tsync_host *out,
               struct timespec deadline, struct tsync_err *err)
{
  struct vs_response r;
  enum tsync_status st;

  st = call(v, "HostDateTimeSystem", h->datetime_system, "dateTimeInfo", NULL, deadline, &r,
            err);
  if (st != TSYNC_OK)
    return st;
  st = vs_json_parse_datetime_info(r.body, r.len, r.received, out, err);
  vs_response_free(&r);
  if (st == TSYNC_OK)
    st = call(v, "HostServiceSystem", h->service_system, "serviceInfo", NULL, deadline, &r,
              err);
  if (st != TSYNC_OK)
    return st;
  st = vs_json_parse_service_info(r.body, r.len, out, err);
  vs_response_free(&r);
  return st == TSYNC_OK ? query_clock(v, h, out, deadline, err) : st;
}

const struct vs_ops vs_json_ops = {
    .name = "VI/JSON",
    .login = json_login,
    .logout = json_logout,
    .list_hosts = json_list_hosts,
    .read_host = json_read_host,
};
