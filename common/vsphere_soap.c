/* vsphere_soap.c -- the SOAP dialect on /sdk (every ESXi host, every vCenter):
 * envelopes written with libxml2's xmlTextWriter, responses read with its parser, the
 * session in the vmware_soap_session cookie (esxi-vsphere-api.md §A3). */
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlwriter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "vsphere_int.h"

#define NS_SOAPENV "http://schemas.xmlsoap.org/soap/envelope/"
#define NS_XSI "http://www.w3.org/2001/XMLSchema-instance"

/* ---- writing ---------------------------------------------------------------------- */

struct env {
  xmlBufferPtr buf;
  xmlTextWriterPtr w;
  bool ok;
};

static void
ok(struct env *e, int rc)
{
  if (rc < 0)
    e->ok = false;
}

static void
begin(struct env *e, const char *method)
{
  e->buf = xmlBufferCreate();
  e->w = e->buf ? xmlNewTextWriterMemory(e->buf, 0) : NULL;
  e->ok = e->w != NULL;
  if (!e->ok)
    return;
  ok(e, xmlTextWriterStartDocument(e->w, NULL, "UTF-8", NULL));
  ok(e, xmlTextWriterStartElementNS(e->w, BAD_CAST "soapenv", BAD_CAST "Envelope",
                                    BAD_CAST NS_SOAPENV));
  ok(e, xmlTextWriterWriteAttributeNS(e->w, BAD_CAST "xmlns", BAD_CAST "xsi", NULL,
                                      BAD_CAST NS_XSI));
  ok(e, xmlTextWriterStartElementNS(e->w, BAD_CAST "soapenv", BAD_CAST "Body", NULL));
  ok(e, xmlTextWriterStartElement(e->w, BAD_CAST method));
  ok(e, xmlTextWriterWriteAttribute(e->w, BAD_CAST "xmlns", BAD_CAST "urn:vim25"));
}

static void
open_el(struct env *e, const char *name)
{
  if (e->ok)
    ok(e, xmlTextWriterStartElement(e->w, BAD_CAST name));
}

static void
close_el(struct env *e)
{
  if (e->ok)
    ok(e, xmlTextWriterEndElement(e->w));
}

/* <name>text</name>, text escaped by the writer */
static void
text_el(struct env *e, const char *name, const char *text)
{
  if (e->ok)
    ok(e, xmlTextWriterWriteElement(e->w, BAD_CAST name, BAD_CAST text));
}

/* <name type="type">value</name>: a managed object reference */
static void
moref(struct env *e, const char *name, const char *type, const char *value)
{
  open_el(e, name);
  if (e->ok)
    ok(e, xmlTextWriterWriteAttribute(e->w, BAD_CAST "type", BAD_CAST type));
  if (e->ok)
    ok(e, xmlTextWriterWriteString(e->w, BAD_CAST value));
  close_el(e);
}

static void
xsi_type(struct env *e, const char *type)
{
  if (e->ok)
    ok(e, xmlTextWriterWriteAttributeNS(e->w, BAD_CAST "xsi", BAD_CAST "type", NULL,
                                        BAD_CAST type));
}

/* Ends the document; returns the body (free with free()) or NULL. */
static char *
finish(struct env *e)
{
  char *body = NULL;

  if (e->ok)
    ok(e, xmlTextWriterEndDocument(e->w));
  if (e->w)
    xmlFreeTextWriter(e->w);
  if (e->ok && e->buf)
    body = strdup((const char *)xmlBufferContent(e->buf));
  if (e->buf)
    xmlBufferFree(e->buf);
  return body;
}

/* ---- reading ---------------------------------------------------------------------- */

static bool
is(const xmlNode *n, const char *name)
{
  return n && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static xmlNode *
child(const xmlNode *n, const char *name)
{
  xmlNode *c;

  for (c = n ? n->children : NULL; c; c = c->next)
    if (is(c, name))
      return c;
  return NULL;
}

static xmlNode *
first_element(const xmlNode *n)
{
  xmlNode *c;

  for (c = n ? n->children : NULL; c; c = c->next)
    if (c->type == XML_ELEMENT_NODE)
      return c;
  return NULL;
}

/* The text of n into buf ("" when n is NULL). */
static char *
text(const xmlNode *n, char *buf, size_t len)
{
  xmlChar *t = n ? xmlNodeGetContent(n) : NULL;

  tsync_copy(buf, len, t ? (const char *)t : "");
  xmlFree(t);
  return buf;
}

static xmlDoc *
parse(const char *body, size_t len, struct tsync_err *err)
{
  /* no network, no entity expansion, no DTD, and quiet: errors become our status */
  xmlDoc *doc = len > (size_t)VSPHERE_MAX_BODY ? NULL
                : xmlReadMemory(body, (int)len, "response.xml", NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);

  if (!doc)
    tsync_err_set(err, TSYNC_ERR_PROTO, "malformed XML from the server");
  return doc;
}

/* The first element inside soapenv:Body, or NULL. */
static xmlNode *
body_element(xmlDoc *doc)
{
  xmlNode *root = xmlDocGetRootElement(doc);

  return is(root, "Envelope") ? first_element(child(root, "Body")) : NULL;
}

/* A SOAP fault: NotAuthenticated is UNAUTH, InvalidLogin and the rest REFUSED. */
static enum tsync_status
fault(const xmlNode *f, const char *method, struct tsync_err *err)
{
  char msg[200], type[64] = "";
  xmlNode *d = first_element(child(f, "detail"));
  xmlChar *xt = d ? xmlGetNsProp(d, BAD_CAST "type", BAD_CAST NS_XSI) : NULL;

  text(child(f, "faultstring"), msg, sizeof(msg));
  /* the detail element is <XFault xsi:type="X">; either name will do */
  tsync_copy(type, sizeof(type), xt ? (const char *)xt : d ? (const char *)d->name : "");
  xmlFree(xt);
  if (strncmp(type, "NotAuthenticated", 16) == 0)
    return tsync_err_set(err, TSYNC_ERR_UNAUTH, "%s: the session is not authenticated",
                         method);
  if (strncmp(type, "InvalidLogin", 12) == 0)
    return tsync_err_set(err, TSYNC_ERR_REFUSED, "login failed: %s", msg);
  return tsync_err_set(err, TSYNC_ERR_REFUSED, "%s failed: %s%s%s", method, type[0] ? type : "",
                       type[0] ? ": " : "", msg);
}

/* Checks a response document: the <method>Response element, or the fault as status. */
static enum tsync_status
response(xmlDoc *doc, const char *method, xmlNode **out, struct tsync_err *err)
{
  xmlNode *b = body_element(doc);
  char want[96];

  if (is(b, "Fault"))
    return fault(b, method, err);
  if (snprintf(want, sizeof(want), "%sResponse", method) < 0 || !is(b, want))
    return tsync_err_set(err, TSYNC_ERR_PROTO, "%s: not a SOAP response", method);
  *out = b;
  return TSYNC_OK;
}

/* POSTs an envelope to /sdk; on success *doc holds the response (xmlFreeDoc it) and
 * *ret its <method>Response element. The envelope is freed here. */
static enum tsync_status
call(struct vsphere *v, const char *method, char *envelope, struct timespec deadline,
     struct vs_response *r, xmlDoc **doc, xmlNode **ret, struct tsync_err *err)
{
  char action[64];
  enum tsync_status st;

  *doc = NULL;
  if (!envelope)
    return tsync_err_set(err, TSYNC_ERR_NOMEM, "cannot build the %s request", method);
  /* the server answers in the schema of the version we name; baseline until known */
  if (snprintf(action, sizeof(action), v->sc.api_version[0] ? "urn:vim25/%s" : "urn:vim25",
               v->sc.api_version) < 0)
    action[0] = '\0';
  st = vs_request(v, "POST", "/sdk", "text/xml; charset=utf-8", action, envelope, deadline, r,
                  err);
  /* a Login envelope holds the password */
  memset(envelope, 0, strlen(envelope));
  free(envelope);
  if (st != TSYNC_OK)
    return st;
  if (r->status != 200 && r->status != 500) {
    st = tsync_err_set(err, TSYNC_ERR_PROTO, "%s: unexpected HTTP %ld", method, r->status);
  } else if (!(*doc = parse(r->body, r->len, err))) {
    st = TSYNC_ERR_PROTO;
  } else {
    st = response(*doc, method, ret, err);
  }
  if (st != TSYNC_OK) {
    xmlFreeDoc(*doc);
    *doc = NULL;
    vs_response_free(r);
  }
  return st;
}

static void
done(xmlDoc *doc, struct vs_response *r)
{
  xmlFreeDoc(doc);
  vs_response_free(r);
}

static void
read_content(const xmlNode *rv, struct vs_content *sc)
{
  xmlNode *about = child(rv, "about");

  text(child(about, "apiType"), sc->api_type, sizeof(sc->api_type));
  text(child(about, "apiVersion"), sc->api_version, sizeof(sc->api_version));
  text(child(rv, "sessionManager"), sc->session_manager, sizeof(sc->session_manager));
  text(child(rv, "propertyCollector"), sc->property_collector,
       sizeof(sc->property_collector));
  text(child(rv, "viewManager"), sc->view_manager, sizeof(sc->view_manager));
  text(child(rv, "rootFolder"), sc->root_folder, sizeof(sc->root_folder));
}

enum tsync_status
vs_soap_parse_content(const char *body, size_t len, struct vs_content *sc,
                      struct tsync_err *err)
{
  xmlDoc *doc = parse(body, len, err);
  xmlNode *ret = NULL;
  enum tsync_status st;

  if (!doc)
    return TSYNC_ERR_PROTO;
  st = response(doc, "RetrieveServiceContent", &ret, err);
  if (st == TSYNC_OK) {
    read_content(child(ret, "returnval"), sc);
    if (!sc->api_version[0])
      st = tsync_err_set(err, TSYNC_ERR_PROTO, "the service content has no about.apiVersion");
  }
  xmlFreeDoc(doc);
  return st;
}

enum tsync_status
vs_soap_content(struct vsphere *v, struct timespec deadline, struct tsync_err *err)
{
  struct env e;
  struct vs_response r;
  struct tsync_err why;
  xmlDoc *doc;
  xmlNode *ret;
  enum tsync_status st;

  begin(&e, "RetrieveServiceContent");
  moref(&e, "_this", "ServiceInstance", "ServiceInstance");
  st = call(v, "RetrieveServiceContent", finish(&e), deadline, &r, &doc, &ret, &why);
  if (st == TSYNC_ERR_PROTO)
    return tsync_err_set(err, st, "%s does not answer as a vSphere endpoint: %s", v->t->host,
                         why.msg);
  if (st != TSYNC_OK) {
    if (err)
      *err = why;
    return st;
  }
  read_content(child(ret, "returnval"), &v->sc);
  done(doc, &r);
  if (!v->sc.api_version[0])
    return tsync_err_set(err, TSYNC_ERR_PROTO, "the service content has no about.apiVersion");
  return TSYNC_OK;
}

static enum tsync_status
soap_login(struct vsphere *v, struct timespec deadline, struct tsync_err *err)
{
  struct env e;
  struct vs_response r;
  xmlDoc *doc;
  xmlNode *ret;
  enum tsync_status st;

  begin(&e, "Login");
  moref(&e, "_this", "SessionManager", v->sc.session_manager);
  text_el(&e, "userName", v->t->user);
  text_el(&e, "password", v->t->password);
  st = call(v, "Login", finish(&e), deadline, &r, &doc, &ret, err);
  if (st != TSYNC_OK)
    return st;
  if (!r.cookie[0])
    st = tsync_err_set(err, TSYNC_ERR_PROTO, "Login set no vmware_soap_session cookie");
  else
    tsync_copy(v->session, sizeof(v->session), r.cookie);
  done(doc, &r);
  return st;
}

/* Void methods on one object: Logout, DestroyView. Failures are not worth a status. */
static void
void_call(struct vsphere *v, const char *method, const char *type, const char *moid,
          struct timespec deadline)
{
  struct env e;
  struct vs_response r;
  xmlDoc *doc;
  xmlNode *ret;

  begin(&e, method);
  moref(&e, "_this", type, moid);
  if (call(v, method, finish(&e), deadline, &r, &doc, &ret, NULL) == TSYNC_OK)
    done(doc, &r);
}

static void
soap_logout(struct vsphere *v, struct timespec deadline)
{
  void_call(v, "Logout", "SessionManager", v->sc.session_manager, deadline);
  v->logged_in = false;
}

/* RetrievePropertiesEx of paths of prop_type objects: the object itself, or every
 * object in a ContainerView (obj_type "ContainerView"). */
static enum tsync_status
retrieve(struct vsphere *v, const char *obj_type, const char *moid, const char *prop_type,
         const char *const *paths, size_t n_paths, struct timespec deadline,
         struct vs_response *r, xmlDoc **doc, xmlNode **ret, struct tsync_err *err)
{
  bool view = strcmp(obj_type, "ContainerView") == 0;
  struct env e;
  size_t i;

  begin(&e, "RetrievePropertiesEx");
  moref(&e, "_this", "PropertyCollector", v->sc.property_collector);
  open_el(&e, "specSet");
  open_el(&e, "propSet");
  text_el(&e, "type", prop_type);
  for (i = 0; i < n_paths; i++)
    text_el(&e, "pathSet", paths[i]);
  close_el(&e);
  open_el(&e, "objectSet");
  moref(&e, "obj", obj_type, moid);
  if (view) {
    text_el(&e, "skip", "true");
    open_el(&e, "selectSet");
    xsi_type(&e, "TraversalSpec");
    text_el(&e, "type", "ContainerView");
    text_el(&e, "path", "view");
    text_el(&e, "skip", "false");
    close_el(&e);
  }
  close_el(&e);
  close_el(&e);
  open_el(&e, "options");
  close_el(&e);
  return call(v, "RetrievePropertiesEx", finish(&e), deadline, r, doc, ret, err);
}

/* The value of propSet "name" in an ObjectContent node. */
static xmlNode *
prop(const xmlNode *objects, const char *name)
{
  xmlNode *ps;
  char n[96];

  for (ps = objects ? objects->children : NULL; ps; ps = ps->next)
    if (is(ps, "propSet") && strcmp(text(child(ps, "name"), n, sizeof(n)), name) == 0)
      return child(ps, "val");
  return NULL;
}

/* Host references from one RetrievePropertiesEx result; returns the continuation
 * token's node (or NULL). */
static xmlNode *
collect_hosts(const xmlNode *rv, const char *want, struct vsphere_hostref **list, size_t *n,
              size_t *cap)
{
  xmlNode *o;

  for (o = rv ? rv->children : NULL; o; o = o->next) {
    struct vsphere_hostref h;

    if (!is(o, "objects"))
      continue;
    memset(&h, 0, sizeof(h));
    text(child(o, "obj"), h.moid, sizeof(h.moid));
    text(prop(o, "name"), h.name, sizeof(h.name));
    text(prop(o, "configManager.dateTimeSystem"), h.datetime_system,
         sizeof(h.datetime_system));
    text(prop(o, "configManager.serviceSystem"), h.service_system, sizeof(h.service_system));
    if (want && strcmp(h.name, want) != 0)
      continue;
    if (*n == *cap) {
      struct vsphere_hostref *grown = realloc(*list, (*cap ? *cap * 2 : 8) * sizeof(h));

      if (!grown)
        return NULL;
      *list = grown;
      *cap = *cap ? *cap * 2 : 8;
    }
    (*list)[(*n)++] = h;
  }
  return child(rv, "token");
}

static enum tsync_status
continue_retrieve(struct vsphere *v, const char *token, struct timespec deadline,
                  struct vs_response *r, xmlDoc **doc, xmlNode **ret, struct tsync_err *err)
{
  struct env e;

  begin(&e, "ContinueRetrievePropertiesEx");
  moref(&e, "_this", "PropertyCollector", v->sc.property_collector);
  text_el(&e, "token", token);
  return call(v, "ContinueRetrievePropertiesEx", finish(&e), deadline, r, doc, ret, err);
}

static enum tsync_status
read_refs(struct vsphere *v, const char *obj_type, const char *moid, const char *want,
          struct vsphere_hostref **list, size_t *n, struct timespec deadline,
          struct tsync_err *err)
{
  static const char *const paths[] = {"name", "configManager.dateTimeSystem",
                                      "configManager.serviceSystem"};
  struct vs_response r;
  xmlDoc *doc;
  xmlNode *ret;
  size_t cap = 0;
  enum tsync_status st = retrieve(v, obj_type, moid, "HostSystem", paths, 3, deadline, &r,
                                  &doc, &ret, err);
  unsigned pages;

  /* more than a page of hosts comes with a token (a few thousand hosts at most) */
  for (pages = 0; st == TSYNC_OK && pages < 1000; pages++) {
    char tok[256];

    text(collect_hosts(child(ret, "returnval"), want, list, n, &cap), tok, sizeof(tok));
    done(doc, &r);
    if (!tok[0])
      break;
    st = continue_retrieve(v, tok, deadline, &r, &doc, &ret, err);
  }
  return st;
}

static enum tsync_status
soap_list_hosts(struct vsphere *v, const char *name, struct vsphere_hostref **list, size_t *n,
                struct timespec deadline, struct tsync_err *err)
{
  struct env e;
  struct vs_response r;
  xmlDoc *doc;
  xmlNode *ret;
  char view[VSPHERE_MOID_SIZE];
  enum tsync_status st;

  *list = NULL;
  *n = 0;
  /* an ESXi host is its own single host, "ha-host" */
  if (strcmp(v->sc.api_type, "HostAgent") == 0)
    return read_refs(v, "HostSystem", "ha-host", NULL, list, n, deadline, err);
  begin(&e, "CreateContainerView");
  moref(&e, "_this", "ViewManager", v->sc.view_manager);
  moref(&e, "container", "Folder", v->sc.root_folder);
  text_el(&e, "type", "HostSystem");
  text_el(&e, "recursive", "true");
  st = call(v, "CreateContainerView", finish(&e), deadline, &r, &doc, &ret, err);
  if (st != TSYNC_OK)
    return st;
  text(child(ret, "returnval"), view, sizeof(view));
  done(doc, &r);
  if (!view[0])
    return tsync_err_set(err, TSYNC_ERR_PROTO, "CreateContainerView returned no view");
  st = read_refs(v, "ContainerView", view, name, list, n, deadline, err);
  /* views live as long as the session: destroy it on every path */
  void_call(v, "DestroyView", "ContainerView", view, deadline);
  return st;
}

static bool
flag(const xmlNode *n, bool *out)
{
  char t[8];

  if (!n)
    return false;
  *out = strcmp(text(n, t, sizeof(t)), "true") == 0;
  return true;
}

static void
read_datetime_info(const xmlNode *info, double now, struct tsync_host *out)
{
  xmlNode *c;
  char when[64];
  double t;

  out->n_ntp_servers = 0;
  for (c = child(info, "ntpConfig") ? child(info, "ntpConfig")->children : NULL; c; c = c->next)
    if (is(c, "server") && out->n_ntp_servers < TSYNC_MAX_NTP_SERVERS)
      text(c, out->ntp_servers[out->n_ntp_servers++], TSYNC_NAME_SIZE);
  text(child(info, "systemClockProtocol"), out->clock_protocol, sizeof(out->clock_protocol));
  /* the API 7.0.3 fields: absent before, and left out when unset */
  out->have_health = child(info, "enabled") || child(info, "serviceSync");
  if (!out->have_health)
    return;
  out->have_service_sync = flag(child(info, "serviceSync"), &out->service_sync);
  out->have_fallback = flag(child(info, "inFallbackState"), &out->in_fallback);
  if (child(info, "lastSyncTime") &&
      tsync_parse_datetime(text(child(info, "lastSyncTime"), when, sizeof(when)), &t, NULL) ==
          TSYNC_OK) {
    out->have_last_sync = true;
    out->last_sync_age = now - t;
  }
  text(child(info, "remoteNtpServer"), out->remote_ntp_server, sizeof(out->remote_ntp_server));
}

static void
read_service_info(const xmlNode *info, struct tsync_host *out)
{
  xmlNode *s;
  char key[32];

  for (s = info ? info->children : NULL; s; s = s->next) {
    if (!is(s, "service") || strcmp(text(child(s, "key"), key, sizeof(key)), "ntpd") != 0)
      continue;
    out->have_ntpd = true;
    (void)flag(child(s, "running"), &out->ntpd_running);
    text(child(s, "policy"), out->ntpd_policy, sizeof(out->ntpd_policy));
  }
}

/* dateTimeInfo and serviceInfo properties of a RetrievePropertiesEx result. */
static void
read_host_props(const xmlNode *ret, double now, struct tsync_host *out)
{
  xmlNode *o, *val;

  for (o = child(child(ret, "returnval"), "objects"); o; o = o->next) {
    if (!is(o, "objects"))
      continue;
    if ((val = prop(o, "dateTimeInfo")))
      read_datetime_info(val, now, out);
    if ((val = prop(o, "serviceInfo")))
      read_service_info(val, out);
  }
}

enum tsync_status
vs_soap_parse_host_props(const char *body, size_t len, double now, struct tsync_host *out,
                         struct tsync_err *err)
{
  xmlDoc *doc = parse(body, len, err);
  xmlNode *ret = NULL;
  enum tsync_status st;

  if (!doc)
    return TSYNC_ERR_PROTO;
  st = response(doc, "RetrievePropertiesEx", &ret, err);
  if (st == TSYNC_OK)
    read_host_props(ret, now, out);
  xmlFreeDoc(doc);
  return st;
}

static enum tsync_status
read_prop(struct vsphere *v, const char *type, const char *moid, const char *path,
          struct tsync_host *out, struct timespec deadline, struct tsync_err *err)
{
  struct vs_response r;
  xmlDoc *doc;
  xmlNode *ret;
  enum tsync_status st = retrieve(v, type, moid, type, &path, 1, deadline, &r, &doc, &ret, err);

  if (st != TSYNC_OK)
    return st;
  read_host_props(ret, r.received, out);
  done(doc, &r);
  return TSYNC_OK;
}

static enum tsync_status
query_clock(struct vsphere *v, const struct vsphere_hostref *h, struct tsync_host *out,
            struct timespec deadline, struct tsync_err *err)
{
  struct env e;
  struct vs_response r;
  xmlDoc *doc;
  xmlNode *ret;
  char when[64];
  double t;
  enum tsync_status st;

  begin(&e, "QueryDateTime");
  moref(&e, "_this", "HostDateTimeSystem", h->datetime_system);
  st = call(v, "QueryDateTime", finish(&e), deadline, &r, &doc, &ret, err);
  if (st != TSYNC_OK)
    return st;
  if (tsync_parse_datetime(text(child(ret, "returnval"), when, sizeof(when)), &t, err) !=
      TSYNC_OK) {
    st = TSYNC_ERR_PROTO;
  } else {
    /* the host read its clock somewhere between our send and receive */
    out->have_offset = true;
    out->offset = t - (r.sent + r.received) / 2.0;
    out->rtt = r.received - r.sent;
  }
  done(doc, &r);
  return st;
}

static enum tsync_status
soap_read_host(struct vsphere *v, const struct vsphere_hostref *h, struct tsync_host *out,
               struct timespec deadline, struct tsync_err *err)
{
  enum tsync_status st = read_prop(v, "HostDateTimeSystem", h->datetime_system,
                                   "dateTimeInfo", out, deadline, err);

  if (st == TSYNC_OK)
    st = read_prop(v, "HostServiceSystem", h->service_system, "serviceInfo", out, deadline,
                   err);
  return st == TSYNC_OK ? query_clock(v, h, out, deadline, err) : st;
}

const struct vs_ops vs_soap_ops = {
    .name = "SOAP",
    .login = soap_login,
    .logout = soap_logout,
    .list_hosts = soap_list_hosts,
    .read_host = soap_read_host,
};
