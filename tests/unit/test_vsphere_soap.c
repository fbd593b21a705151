/* test_vsphere_soap.c -- the SOAP response parsers of vsphere_soap.c: service content,
 * RetrievePropertiesEx of dateTimeInfo/serviceInfo, faults, and hostile XML (external
 * entities, entity bombs). Bodies are the fake's (tests/integration/fake_vsphere.py), as
 * in tests/fuzz/corpus/fuzz_vsphere_soap/; each goes through an exact-size heap copy with
 * no NUL so the sanitizer build sees any read past len. */
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "unit_util.h"
#include <libxml/parser.h>

#include "vsphere_int.h"

#define SOAP_HEAD                                                                             \
  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"                                              \
  "<soapenv:Envelope xmlns:soapenc=\"http://schemas.xmlsoap.org/soap/encoding/\"\n"           \
  " xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"\n"                            \
  " xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\"\n"                                         \
  " xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n<soapenv:Body>\n"
#define SOAP_TAIL "\n</soapenv:Body>\n</soapenv:Envelope>\n"

/* content.xml of the corpus: vCenter 8.0.3 */
static const char content_vc8[] = SOAP_HEAD
    "<RetrieveServiceContentResponse xmlns=\"urn:vim25\"><returnval>"
    "<rootFolder type=\"Folder\">group-d1</rootFolder>"
    "<propertyCollector type=\"PropertyCollector\">propertyCollector</propertyCollector>"
    "<viewManager type=\"ViewManager\">ViewManager</viewManager>"
    "<about><name>VMware vCenter Server</name>"
    "<fullName>VMware vCenter Server 8.0.3 build-24022515</fullName>"
    "<vendor>VMware, Inc.</vendor><version>8.0.3</version><build>24022515</build>"
    "<localeVersion>INTL</localeVersion><localeBuild>000</localeBuild>"
    "<osType>linux-x64</osType><productLineId>vpx</productLineId>"
    "<apiType>VirtualCenter</apiType><apiVersion>8.0.3.0</apiVersion>"
    "<instanceUuid>5f1c6e3a-2b7d-4c1e-9a0f-3d2b1c0e9f81</instanceUuid>"
    "<licenseProductName>VMware VirtualCenter Server</licenseProductName>"
    "<licenseProductVersion>8.0</licenseProductVersion></about>"
    "<setting type=\"OptionManager\">VpxSettings</setting>"
    "<userDirectory type=\"UserDirectory\">UserDirectory</userDirectory>"
    "<sessionManager type=\"SessionManager\">SessionManager</sessionManager>"
    "<authorizationManager type=\"AuthorizationManager\">AuthorizationManager"
    "</authorizationManager><perfManager type=\"PerformanceManager\">PerfMgr</perfManager>"
    "<eventManager type=\"EventManager\">EventManager</eventManager>"
    "<taskManager type=\"TaskManager\">TaskManager</taskManager>"
    "<searchIndex type=\"SearchIndex\">SearchIndex</searchIndex>"
    "</returnval></RetrieveServiceContentResponse>" SOAP_TAIL;

/* A standalone ESXi 6.7, trimmed; viewManager left out to see a missing field. */
static const char content_esxi67[] =
    SOAP_HEAD "<RetrieveServiceContentResponse xmlns=\"urn:vim25\"><returnval>"
              "<rootFolder type=\"Folder\">ha-folder-root</rootFolder>"
              "<propertyCollector type=\"PropertyCollector\">ha-property-collector"
              "</propertyCollector><about><name>VMware ESXi</name>"
              "<apiType>HostAgent</apiType><apiVersion>6.7.3</apiVersion></about>"
              "<sessionManager type=\"SessionManager\">ha-sessionmgr</sessionManager>"
              "</returnval></RetrieveServiceContentResponse>" SOAP_TAIL;

static const char content_no_version[] =
    SOAP_HEAD "<RetrieveServiceContentResponse xmlns=\"urn:vim25\"><returnval>"
              "<rootFolder type=\"Folder\">group-d1</rootFolder>"
              "<about><apiType>VirtualCenter</apiType><version>8.0.3</version></about>"
              "<sessionManager type=\"SessionManager\">SessionManager</sessionManager>"
              "</returnval></RetrieveServiceContentResponse>" SOAP_TAIL;

#define FAULT(kind, text)                                                                     \
  SOAP_HEAD "<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>" text         \
            "</faultstring><detail><" kind "Fault xmlns=\"urn:vim25\" xsi:type=\"" kind       \
            "\"></" kind "Fault></detail></soapenv:Fault>" SOAP_TAIL

/* fault.xml of the corpus */
static const char fault_unauth[] =
    SOAP_HEAD "<soapenv:Fault><faultcode>ServerFaultCode</faultcode>"
              "<faultstring>The session is not authenticated.</faultstring><detail>"
              "<NotAuthenticatedFault xmlns=\"urn:vim25\" xsi:type=\"NotAuthenticated\">"
              "<object type=\"PropertyCollector\">propertyCollector</object>"
              "<privilegeId>System.View</privilegeId></NotAuthenticatedFault></detail>"
              "</soapenv:Fault>" SOAP_TAIL;

static const char fault_login[] =
    FAULT("InvalidLogin", "Cannot complete login due to an incorrect user name or password.");
static const char fault_other[] =
    FAULT("ManagedObjectNotFound", "The object has been deleted");

#define PROPS_HEAD                                                                            \
  SOAP_HEAD "<RetrievePropertiesExResponse xmlns=\"urn:vim25\"><returnval><objects>"
#define PROPS_TAIL "</objects></returnval></RetrievePropertiesExResponse>" SOAP_TAIL
#define DTI_HEAD                                                                              \
  PROPS_HEAD "<obj type=\"HostDateTimeSystem\">dateTimeSystem-11</obj><propSet>"              \
             "<name>dateTimeInfo</name><val xsi:type=\"HostDateTimeInfo\">"                   \
             "<timeZone><key>UTC</key><name>UTC</name><description>UTC</description>"         \
             "<gmtOffset>0</gmtOffset></timeZone>"
#define DTI_TAIL "</val></propSet>" PROPS_TAIL
#define SVC_HEAD                                                                              \
  PROPS_HEAD "<obj type=\"HostServiceSystem\">serviceSystem-11</obj><propSet>"                \
             "<name>serviceInfo</name><val xsi:type=\"HostServiceInfo\">"
#define SVC_TAIL "</val></propSet>" PROPS_TAIL
#define SERVICE(key, running, policy)                                                         \
  "<service><key>" key "</key><label>" key "</label><required>false</required>"               \
  "<uninstallable>false</uninstallable><running>" running "</running><policy>" policy         \
  "</policy></service>"

/* dateTimeInfo.xml of the corpus: ESXi 8.0.3 with the 7.0.3 health fields */
static const char dti_8x[] =
    DTI_HEAD "<systemClockProtocol>ntp</systemClockProtocol><ntpConfig>"
             "<server>10.0.0.11</server><server>10.0.0.12</server></ntpConfig>"
             "<enabled>true</enabled><disableEvents>false</disableEvents>"
             "<disableFallback>false</disableFallback><inFallbackState>false"
             "</inFallbackState><serviceSync>true</serviceSync>"
             "<lastSyncTime>2026-11-26T07:22:17.210376Z</lastSyncTime>"
             "<remoteNtpServer>10.0.0.11</remoteNtpServer><ntpRunTime>86400</ntpRunTime>"
             "<ntpDuration>1 day</ntpDuration>" DTI_TAIL;
#define DTI_8X_SYNC 1795677737.210376 /* 2026-11-26T07:22:17.210376Z */

/* ESXi 6.7.3: timeZone and ntpConfig only */
static const char dti_67[] =
    DTI_HEAD "<ntpConfig><server>10.0.0.11</server></ntpConfig>" DTI_TAIL;

/* 7.0.3+, never synchronised: lastSyncTime and remoteNtpServer unset, so left out */
static const char dti_never[] = DTI_HEAD
    "<systemClockProtocol>ptp</systemClockProtocol><ntpConfig>"
    "<server>ntp.example.com</server></ntpConfig><enabled>false</enabled>"
    "<inFallbackState>true</inFallbackState><serviceSync>false</serviceSync>" DTI_TAIL;

static const char svc_running[] =
    SVC_HEAD SERVICE("DCUI", "true", "on") SERVICE("TSM-SSH", "false", "off")
        SERVICE("ntpd", "true", "on") SERVICE("ptpd", "false", "off") SVC_TAIL;
static const char svc_stopped[] =
    SVC_HEAD SERVICE("lbtd", "true", "on") SERVICE("ntpd", "false", "automatic") SVC_TAIL;
static const char svc_no_ntpd[] = SVC_HEAD SERVICE("DCUI", "true", "on")
    SERVICE("ntpd-helper", "true", "on") SERVICE("ptpd", "true", "on") SVC_TAIL;

static int
group_setup(void **state)
{
  (void)state;
  xmlInitParser();
  return 0;
}

static int
group_teardown(void **state)
{
  (void)state;
  xmlCleanupParser();
  return 0;
}

static enum tsync_status
content(const char *xml, struct vs_content *sc, struct tsync_err *err)
{
  size_t len = strlen(xml);
  char *copy = exact(xml, len);
  enum tsync_status st = vs_soap_parse_content(copy, len, sc, err);

  free(copy);
  return st;
}

static enum tsync_status
props(const char *xml, double now, struct tsync_host *h, struct tsync_err *err)
{
  size_t len = strlen(xml);
  char *copy = exact(xml, len);
  enum tsync_status st = vs_soap_parse_host_props(copy, len, now, h, err);

  free(copy);
  return st;
}

static double
elapsed(const struct timespec *since)
{
  struct timespec now;

  assert_int_equal(clock_gettime(CLOCK_MONOTONIC, &now), 0);
  return (double)(now.tv_sec - since->tv_sec) + (double)(now.tv_nsec - since->tv_nsec) / 1e9;
}

/* ---- service content ---- */

static void
test_content_vcenter(void **state)
{
  struct vs_content sc;
  struct tsync_err err = {""};

  (void)state;
  memset(&sc, 0, sizeof(sc));
  assert_int_equal(content(content_vc8, &sc, &err), TSYNC_OK);
  assert_string_equal(sc.api_type, "VirtualCenter");
  assert_string_equal(sc.api_version, "8.0.3.0");
  assert_string_equal(sc.session_manager, "SessionManager");
  assert_string_equal(sc.property_collector, "propertyCollector");
  assert_string_equal(sc.view_manager, "ViewManager");
  assert_string_equal(sc.root_folder, "group-d1");
}

static void
test_content_esxi67(void **state)
{
  struct vs_content sc;
  struct tsync_err err = {""};

  (void)state;
  memset(&sc, 'x', sizeof(sc));
  assert_int_equal(content(content_esxi67, &sc, &err), TSYNC_OK);
  assert_string_equal(sc.api_type, "HostAgent");
  assert_string_equal(sc.api_version, "6.7.3");
  assert_string_equal(sc.session_manager, "ha-sessionmgr");
  assert_string_equal(sc.property_collector, "ha-property-collector");
  assert_string_equal(sc.view_manager, ""); /* absent: empty, not the old bytes */
  assert_string_equal(sc.root_folder, "ha-folder-root");
}

static void
test_content_faults(void **state)
{
  struct vs_content sc;
  struct tsync_err err = {""};

  (void)state;
  memset(&sc, 0, sizeof(sc));
  assert_int_equal(content(fault_unauth, &sc, &err), TSYNC_ERR_UNAUTH);
  assert_string_equal(err.msg, "RetrieveServiceContent: the session is not authenticated");
  assert_int_equal(content(fault_login, &sc, &err), TSYNC_ERR_REFUSED);
  assert_string_equal(err.msg, "login failed: Cannot complete login due to an incorrect "
                               "user name or password.");
  assert_int_equal(content(fault_other, &sc, &err), TSYNC_ERR_REFUSED);
  assert_string_equal(err.msg, "RetrieveServiceContent failed: ManagedObjectNotFound: The "
                               "object has been deleted");
  assert_string_equal(sc.api_version, "");
}

static void
test_content_malformed(void **state)
{
  static const char *const bad[] = {
      "",
      "not xml at all",
      "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\">",
      SOAP_HEAD "<RetrieveServiceContentResponse><returnval></about>" SOAP_TAIL,
      "<a><b></a></b>",
      "\xff\xfe<\x00x\x00>\x00",
  };
  struct vs_content sc;
  struct tsync_err err;
  size_t i;

  (void)state;
  for (i = 0; i < TSYNC_ARRAY_LEN(bad); i++) {
    memset(&sc, 0, sizeof(sc));
    memcpy(sc.api_version, "keep", 5);
    err.msg[0] = '\0';
    if (content(bad[i], &sc, &err) != TSYNC_ERR_PROTO)
      fail_msg("bad[%zu] accepted", i);
    assert_string_equal(err.msg, "malformed XML from the server");
    assert_string_equal(sc.api_version, "keep");
  }
  /* len bounds the parse: the well-formed document cut short is malformed */
  assert_int_equal(vs_soap_parse_content(content_vc8, 200, &sc, &err), TSYNC_ERR_PROTO);
}

static void
test_content_not_a_response(void **state)
{
  struct vs_content sc;
  struct tsync_err err = {""};

  (void)state;
  memset(&sc, 0, sizeof(sc));
  assert_int_equal(content(dti_8x, &sc, &err), TSYNC_ERR_PROTO);
  assert_string_equal(err.msg, "RetrieveServiceContent: not a SOAP response");
  assert_int_equal(content("<html><body>It works</body></html>", &sc, &err), TSYNC_ERR_PROTO);
  expect_contains(err.msg, "not a SOAP response");
  assert_int_equal(content(SOAP_HEAD SOAP_TAIL, &sc, &err), TSYNC_ERR_PROTO);
  expect_contains(err.msg, "not a SOAP response");
}

static void
test_content_no_api_version(void **state)
{
  struct vs_content sc;
  struct tsync_err err = {""};

  (void)state;
  memset(&sc, 0, sizeof(sc));
  assert_int_equal(content(content_no_version, &sc, &err), TSYNC_ERR_PROTO);
  assert_string_equal(err.msg, "the service content has no about.apiVersion");
  assert_string_equal(sc.api_version, "");
}

/* ---- hostile XML ---- */

#define XXE_ENVELOPE(type, version)                                                           \
  "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\">"            \
  "<soapenv:Body><RetrieveServiceContentResponse xmlns=\"urn:vim25\"><returnval><about>"      \
  "<apiType>" type "</apiType><apiVersion>" version "</apiVersion></about>"                   \
  "<rootFolder>&xxe;</rootFolder></returnval></RetrieveServiceContentResponse>"               \
  "</soapenv:Body></soapenv:Envelope>"

#define XXE_MARK "XXE-MARKER-7f3a"

/* Setup: a temp file holding the marker; its path (malloc'd) in *state. */
static int
marker_file(void **state)
{
  static const char tmpl[] = "/tmp/test_vsphere_soap_XXXXXX";
  char *path = malloc(sizeof(tmpl));
  ssize_t n;
  int fd;

  if (!path)
    return -1;
  memcpy(path, tmpl, sizeof(tmpl));
  *state = path;
  if ((fd = mkstemp(path)) < 0)
    return -1;
  n = write(fd, XXE_MARK, strlen(XXE_MARK));
  return close(fd) == 0 && n == (ssize_t)strlen(XXE_MARK) ? 0 : -1;
}

/* Teardown: the marker file goes, whether the test passed or not. */
static int
marker_gone(void **state)
{
  (void)unlink(*state);
  free(*state);
  return 0;
}

static void
no_marker(const struct vs_content *sc)
{
  assert_null(strstr(sc->api_type, XXE_MARK));
  assert_null(strstr(sc->api_version, XXE_MARK));
  assert_null(strstr(sc->root_folder, XXE_MARK));
}

static void
test_xxe_file_not_expanded(void **state)
{
  const char *path = *state;
  char xml[1024];
  struct vs_content sc;
  struct tsync_err err = {""};

  /* the entity in a field the parser needs: left empty, so the content is refused */
  assert_true(
      snprintf(xml, sizeof(xml),
               "<?xml version=\"1.0\"?>\n<!DOCTYPE e [<!ENTITY xxe SYSTEM \"file://%s\">"
               "]>\n" XXE_ENVELOPE("VirtualCenter", "&xxe;"),
               path) < (int)sizeof(xml));
  memset(&sc, 0, sizeof(sc));
  assert_int_equal(content(xml, &sc, &err), TSYNC_ERR_PROTO);
  assert_string_equal(err.msg, "the service content has no about.apiVersion");
  no_marker(&sc);
  /* elsewhere: parsed, the reference stays an empty unexpanded node */
  assert_true(snprintf(xml, sizeof(xml),
                       "<!DOCTYPE e [<!ENTITY xxe SYSTEM \"file://%s\">]>" XXE_ENVELOPE(
                           "HostAgent", "8.0.3.0"),
                       path) < (int)sizeof(xml));
  memset(&sc, 0, sizeof(sc));
  assert_int_equal(content(xml, &sc, &err), TSYNC_OK);
  assert_string_equal(sc.api_version, "8.0.3.0");
  assert_string_equal(sc.root_folder, "");
  no_marker(&sc);
}

/* A local HTTP server that counts the requests it gets and answers 404 at once. */
struct spy {
  int fd;
  unsigned hits;
  pthread_t thread;
};

static void *
spy_run(void *arg)
{
  static const char reply[] = "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n";
  struct spy *s = arg;
  struct pollfd p = {s->fd, POLLIN, 0};
  int c;

  /* shutdown() of the listening socket ends the wait */
  while (poll(&p, 1, 10000) > 0 && (c = accept(s->fd, NULL, NULL)) >= 0) {
    ssize_t n = write(c, reply, sizeof(reply) - 1);

    (void)n;
    s->hits++;
    close(c);
  }
  return NULL;
}

/* Starts the spy on 127.0.0.1; its port in *port. */
static void
spy_start(struct spy *s, unsigned *port)
{
  struct sockaddr_in sa;
  socklen_t sl = sizeof(sa);

  s->hits = 0;
  s->fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(s->fd >= 0);
  memset(&sa, 0, sizeof(sa));
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
  assert_int_equal(listen(s->fd, 8), 0);
  assert_int_equal(getsockname(s->fd, (struct sockaddr *)&sa, &sl), 0);
  *port = ntohs(sa.sin_port);
  assert_int_equal(pthread_create(&s->thread, NULL, spy_run, s), 0);
}

/* Stops the spy; returns the requests it got. */
static unsigned
spy_stop(struct spy *s)
{
  assert_int_equal(shutdown(s->fd, SHUT_RDWR), 0);
  assert_int_equal(pthread_join(s->thread, NULL), 0);
  assert_int_equal(close(s->fd), 0);
  return s->hits;
}

/* External entities, an external DTD and a parameter entity on the network: nothing is
 * fetched (XML_PARSE_NONET, no DTD loading), whatever the parse makes of it. */
static void
test_xxe_network_not_fetched(void **state)
{
  static const char *const forms[] = {
      "<!DOCTYPE e [<!ENTITY xxe SYSTEM \"http://127.0.0.1:%u/xxe\">]>",
      "<!DOCTYPE e SYSTEM \"http://127.0.0.1:%u/e.dtd\">",
      "<!DOCTYPE e [<!ENTITY %% p SYSTEM \"http://127.0.0.1:%u/p.dtd\"> %%p;]>",
  };
  char head[160], xml[1024];
  struct vs_content sc;
  struct tsync_err err;
  struct spy spy;
  unsigned port, i;

  (void)state;
  spy_start(&spy, &port);
  for (i = 0; i < TSYNC_ARRAY_LEN(forms); i++) {
    assert_true(snprintf(head, sizeof(head), forms[i], port) < (int)sizeof(head));
    assert_true(snprintf(xml, sizeof(xml), "%s" XXE_ENVELOPE("HostAgent", "8.0.3.0"), head) <
                (int)sizeof(xml));
    memset(&sc, 0, sizeof(sc));
    (void)content(xml, &sc, &err);
    assert_string_equal(sc.root_folder, "");
  }
  assert_int_equal(spy_stop(&spy), 0);
}

#define BOMB_ENVELOPE                                                                         \
  "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\">"            \
  "<soapenv:Body><RetrieveServiceContentResponse xmlns=\"urn:vim25\"><returnval><about>"      \
  "<apiType>&lol10;</apiType><apiVersion>8.0.3.0</apiVersion></about></returnval>"            \
  "</RetrieveServiceContentResponse></soapenv:Body></soapenv:Envelope>"

/* The classic billion laughs: 10 levels of 10 references (3 GB expanded). */
static size_t
entity_bomb(char *buf, size_t len)
{
  size_t used = 0;
  int level, j;

  used += (size_t)snprintf(buf, len,
                           "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n"
                           "<!ENTITY lol0 \"lollollollollollollollollollol\">\n");
  for (level = 1; level <= 10; level++) {
    used += (size_t)snprintf(buf + used, len - used, "<!ENTITY lol%d \"", level);
    for (j = 0; j < 10; j++)
      used += (size_t)snprintf(buf + used, len - used, "&lol%d;", level - 1);
    used += (size_t)snprintf(buf + used, len - used, "\">\n");
  }
  used += (size_t)snprintf(buf + used, len - used, "]>\n" BOMB_ENVELOPE);
  assert_true(used < len);
  return used;
}

static void
test_entity_bomb(void **state)
{
  static char bomb[4096];
  size_t len = entity_bomb(bomb, sizeof(bomb));
  char *copy = exact(bomb, len);
  struct vs_content sc;
  struct tsync_err err = {""};
  struct timespec t0;

  (void)state;
  memset(&sc, 0, sizeof(sc));
  assert_int_equal(clock_gettime(CLOCK_MONOTONIC, &t0), 0);
  assert_int_equal(vs_soap_parse_content(copy, len, &sc, &err), TSYNC_ERR_PROTO);
  if (elapsed(&t0) > 2.0)
    fail_msg("the entity bomb took %.1f s", elapsed(&t0));
  assert_string_equal(sc.api_type, "");
  free(copy);
}

/* ---- RetrievePropertiesEx: dateTimeInfo ---- */

static void
test_datetime_8x(void **state)
{
  struct tsync_host h;
  struct tsync_err err = {""};

  (void)state;
  memset(&h, 0, sizeof(h));
  assert_int_equal(props(dti_8x, DTI_8X_SYNC + 42.5, &h, &err), TSYNC_OK);
  assert_int_equal(h.n_ntp_servers, 2);
  assert_string_equal(h.ntp_servers[0], "10.0.0.11");
  assert_string_equal(h.ntp_servers[1], "10.0.0.12");
  assert_string_equal(h.clock_protocol, "ntp");
  assert_true(h.have_health);
  assert_true(h.have_service_sync && h.service_sync);
  assert_true(h.have_fallback);
  assert_false(h.in_fallback);
  assert_true(h.have_last_sync);
  expect_near(h.last_sync_age, 42.5, 1e-5);
  assert_string_equal(h.remote_ntp_server, "10.0.0.11");
  assert_false(h.have_ntpd); /* serviceInfo is another call */
  assert_false(h.have_offset);
}

/* lastSyncTime in the future of now (the host's clock ahead): a negative age. */
static void
test_datetime_age_is_relative_to_now(void **state)
{
  struct tsync_host h;
  struct tsync_err err = {""};

  (void)state;
  memset(&h, 0, sizeof(h));
  assert_int_equal(props(dti_8x, DTI_8X_SYNC + 7200, &h, &err), TSYNC_OK);
  expect_near(h.last_sync_age, 7200, 1e-5);
  assert_int_equal(props(dti_8x, DTI_8X_SYNC - 3, &h, &err), TSYNC_OK);
  expect_near(h.last_sync_age, -3, 1e-5);
}

static void
test_datetime_67(void **state)
{
  struct tsync_host h;
  struct tsync_err err = {""};

  (void)state;
  memset(&h, 0, sizeof(h));
  memcpy(h.clock_protocol, "old", 4);
  assert_int_equal(props(dti_67, 1e9, &h, &err), TSYNC_OK);
  assert_int_equal(h.n_ntp_servers, 1);
  assert_string_equal(h.ntp_servers[0], "10.0.0.11");
  assert_string_equal(h.clock_protocol, ""); /* no systemClockProtocol before 7.0 */
  assert_false(h.have_health);
  assert_false(h.have_service_sync);
  assert_false(h.have_last_sync);
  assert_false(h.have_fallback);
  assert_string_equal(h.remote_ntp_server, "");
}

static void
test_datetime_never_synced(void **state)
{
  struct tsync_host h;
  struct tsync_err err = {""};

  (void)state;
  memset(&h, 0, sizeof(h));
  h.service_sync = true;
  assert_int_equal(props(dti_never, 1e9, &h, &err), TSYNC_OK);
  assert_string_equal(h.clock_protocol, "ptp");
  assert_true(h.have_health);
  assert_true(h.have_service_sync);
  assert_false(h.service_sync);
  assert_true(h.have_fallback && h.in_fallback);
  assert_false(h.have_last_sync);
  assert_string_equal(h.remote_ntp_server, "");
}

/* Only enabled set (the rest unset, so left out): the fields exist but are unknown. */
static void
test_datetime_only_enabled(void **state)
{
  static const char xml[] =
      DTI_HEAD "<ntpConfig><server>a</server></ntpConfig><enabled>true</enabled>" DTI_TAIL;
  struct tsync_host h;
  struct tsync_err err = {""};

  (void)state;
  memset(&h, 0, sizeof(h));
  assert_int_equal(props(xml, 1e9, &h, &err), TSYNC_OK);
  assert_true(h.have_health);
  assert_false(h.have_service_sync || h.have_fallback || h.have_last_sync);
}

/* A lastSyncTime that is not a date: not taken, the rest still is. */
static void
test_datetime_bad_sync_time(void **state)
{
  static const char xml[] =
      DTI_HEAD "<ntpConfig><server>a</server></ntpConfig><serviceSync>true</serviceSync>"
               "<lastSyncTime>yesterday</lastSyncTime>" DTI_TAIL;
  struct tsync_host h;
  struct tsync_err err = {""};

  (void)state;
  memset(&h, 0, sizeof(h));
  assert_int_equal(props(xml, 1e9, &h, &err), TSYNC_OK);
  assert_true(h.have_health && h.have_service_sync && h.service_sync);
  assert_false(h.have_last_sync);
}

/* Servers NAME0..NAME(n-1) in a dateTimeInfo body; malloc'd. */
static char *
many_servers(unsigned n, const char *name)
{
  size_t len = 4096 + (size_t)n * (strlen(name) + 40);
  char *xml = malloc(len);
  size_t used;
  unsigned i;

  assert_non_null(xml);
  used = (size_t)snprintf(xml, len, "%s", DTI_HEAD "<ntpConfig>");
  for (i = 0; i < n; i++)
    used += (size_t)snprintf(xml + used, len - used, "<server>%s%u</server>", name, i);
  used += (size_t)snprintf(xml + used, len - used, "%s", "</ntpConfig>" DTI_TAIL);
  assert_true(used < len);
  return xml;
}

static void
test_datetime_server_clamp(void **state)
{
  char *xml = many_servers(TSYNC_MAX_NTP_SERVERS + 9, "ntp");
  struct tsync_host h;
  struct tsync_err err = {""};

  (void)state;
  memset(&h, 0, sizeof(h));
  assert_int_equal(props(xml, 1e9, &h, &err), TSYNC_OK);
  assert_int_equal(h.n_ntp_servers, TSYNC_MAX_NTP_SERVERS);
  assert_string_equal(h.ntp_servers[0], "ntp0");
  assert_string_equal(h.ntp_servers[TSYNC_MAX_NTP_SERVERS - 1], "ntp15");
  free(xml);
}

static void
test_datetime_long_server_name(void **state)
{
  char name[TSYNC_NAME_SIZE + 200], *xml;
  struct tsync_host h;
  struct tsync_err err = {""};

  (void)state;
  memset(name, 'n', sizeof(name) - 1);
  name[sizeof(name) - 1] = '\0';
  xml = many_servers(2, name);
  memset(&h, 'x', sizeof(h));
  assert_int_equal(props(xml, 1e9, &h, &err), TSYNC_OK);
  assert_int_equal(h.n_ntp_servers, 2);
  assert_int_equal(strlen(h.ntp_servers[0]), TSYNC_NAME_SIZE - 1);
  assert_int_equal(h.ntp_servers[1][TSYNC_NAME_SIZE - 1], '\0');
  assert_int_equal(strncmp(h.ntp_servers[1], name, TSYNC_NAME_SIZE - 1), 0);
  free(xml);
}

/* ---- RetrievePropertiesEx: serviceInfo ---- */

static void
test_service_running(void **state)
{
  struct tsync_host h;
  struct tsync_err err = {""};

  (void)state;
  memset(&h, 0, sizeof(h));
  assert_int_equal(props(svc_running, 1e9, &h, &err), TSYNC_OK);
  assert_true(h.have_ntpd);
  assert_true(h.ntpd_running);
  assert_string_equal(h.ntpd_policy, "on");
  assert_int_equal(h.n_ntp_servers, 0);
  assert_false(h.have_health);
}

static void
test_service_stopped(void **state)
{
  struct tsync_host h;
  struct tsync_err err = {""};

  (void)state;
  memset(&h, 0, sizeof(h));
  h.ntpd_running = true;
  assert_int_equal(props(svc_stopped, 1e9, &h, &err), TSYNC_OK);
  assert_true(h.have_ntpd);
  assert_false(h.ntpd_running);
  assert_string_equal(h.ntpd_policy, "automatic");
}

static void
test_service_no_ntpd(void **state)
{
  struct tsync_host h;
  struct tsync_err err = {""};

  (void)state;
  memset(&h, 0, sizeof(h));
  assert_int_equal(props(svc_no_ntpd, 1e9, &h, &err), TSYNC_OK);
  assert_false(h.have_ntpd);
  assert_false(h.ntpd_running);
  assert_string_equal(h.ntpd_policy, "");
}

/* ntpd started by hand against policy off */
#define NTPD_BY_HAND SERVICE("ntpd", "true", "off")

/* Both properties in one result: each object is read. */
static void
test_props_two_objects(void **state)
{
  static const char xml[] =
      PROPS_HEAD "<obj type=\"HostDateTimeSystem\">dts</obj><propSet><name>dateTimeInfo</name>"
                 "<val><ntpConfig><server>s1</server></ntpConfig></val></propSet></objects>"
                 "<objects><obj type=\"HostServiceSystem\">sss</obj><propSet>"
                 "<name>serviceInfo</name><val>" NTPD_BY_HAND "</val></propSet>" PROPS_TAIL;
  struct tsync_host h;
  struct tsync_err err = {""};

  (void)state;
  memset(&h, 0, sizeof(h));
  assert_int_equal(props(xml, 1e9, &h, &err), TSYNC_OK);
  assert_int_equal(h.n_ntp_servers, 1);
  assert_string_equal(h.ntp_servers[0], "s1");
  assert_true(h.have_ntpd && h.ntpd_running);
  assert_string_equal(h.ntpd_policy, "off");
}

static void
test_props_faults(void **state)
{
  struct tsync_host h;
  struct tsync_err err = {""};

  (void)state;
  memset(&h, 0, sizeof(h));
  assert_int_equal(props(fault_unauth, 1e9, &h, &err), TSYNC_ERR_UNAUTH);
  assert_string_equal(err.msg, "RetrievePropertiesEx: the session is not authenticated");
  assert_int_equal(props(fault_login, 1e9, &h, &err), TSYNC_ERR_REFUSED);
  expect_contains(err.msg, "login failed");
  assert_int_equal(props(fault_other, 1e9, &h, &err), TSYNC_ERR_REFUSED);
  assert_string_equal(err.msg, "RetrievePropertiesEx failed: ManagedObjectNotFound: The "
                               "object has been deleted");
  assert_false(h.have_ntpd || h.have_health);
  assert_int_equal(h.n_ntp_servers, 0);
}

/* A fault whose detail has no xsi:type: the element name says it. */
static void
test_props_fault_by_element_name(void **state)
{
  static const char xml[] = SOAP_HEAD
      "<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>x"
      "</faultstring><detail><NotAuthenticatedFault/></detail></soapenv:Fault>" SOAP_TAIL;
  struct tsync_host h;
  struct tsync_err err = {""};

  (void)state;
  memset(&h, 0, sizeof(h));
  assert_int_equal(props(xml, 1e9, &h, &err), TSYNC_ERR_UNAUTH);
}

static void
test_props_malformed(void **state)
{
  struct tsync_host h;
  struct tsync_err err = {""};

  (void)state;
  memset(&h, 0, sizeof(h));
  assert_int_equal(props("<x", 1e9, &h, &err), TSYNC_ERR_PROTO);
  assert_string_equal(err.msg, "malformed XML from the server");
  assert_int_equal(vs_soap_parse_host_props(dti_8x, strlen(dti_8x) - 30, 1e9, &h, &err),
                   TSYNC_ERR_PROTO);
  assert_int_equal(props(content_vc8, 1e9, &h, &err), TSYNC_ERR_PROTO);
  assert_string_equal(err.msg, "RetrievePropertiesEx: not a SOAP response");
  assert_int_equal(h.n_ntp_servers, 0);
  assert_false(h.have_health);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_content_vcenter),
      cmocka_unit_test(test_content_esxi67),
      cmocka_unit_test(test_content_faults),
      cmocka_unit_test(test_content_malformed),
      cmocka_unit_test(test_content_not_a_response),
      cmocka_unit_test(test_content_no_api_version),
      cmocka_unit_test_setup_teardown(test_xxe_file_not_expanded, marker_file, marker_gone),
      cmocka_unit_test(test_xxe_network_not_fetched),
      cmocka_unit_test(test_entity_bomb),
      cmocka_unit_test(test_datetime_8x),
      cmocka_unit_test(test_datetime_age_is_relative_to_now),
      cmocka_unit_test(test_datetime_67),
      cmocka_unit_test(test_datetime_never_synced),
      cmocka_unit_test(test_datetime_only_enabled),
      cmocka_unit_test(test_datetime_bad_sync_time),
      cmocka_unit_test(test_datetime_server_clamp),
      cmocka_unit_test(test_datetime_long_server_name),
      cmocka_unit_test(test_service_running),
      cmocka_unit_test(test_service_stopped),
      cmocka_unit_test(test_service_no_ntpd),
      cmocka_unit_test(test_props_two_objects),
      cmocka_unit_test(test_props_faults),
      cmocka_unit_test(test_props_fault_by_element_name),
      cmocka_unit_test(test_props_malformed),
  };

  return cmocka_run_group_tests_name("vsphere_soap", tests, group_setup, group_teardown);
}
