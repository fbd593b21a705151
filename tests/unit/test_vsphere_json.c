/* test_vsphere_json.c -- the VI/JSON response parsers of vsphere_json.c (service content,
 * dateTimeInfo, serviceInfo) and vs_version_cmp. Bodies are the fake's
 * (tests/integration/fake_vsphere.py), as in tests/fuzz/corpus/fuzz_vsphere_json/; each
 * goes through an exact-size heap copy with no NUL so the sanitizer sees reads past len.
 * Unset optional properties are omitted (esxi-vsphere-api.md §A1): unknown, not false. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "unit_util.h"

#include "vsphere_int.h"

/* content.json of the corpus (vCenter 8.0.3), a few morefs left out */
static const char content_vc8[] =
    "{\"_typeName\":\"ServiceContent\",\"rootFolder\":{\"_typeName\":"
    "\"ManagedObjectReference\",\"type\":\"Folder\",\"value\":\"group-d1\"},"
    "\"propertyCollector\":{\"_typeName\":\"ManagedObjectReference\",\"type\":"
    "\"PropertyCollector\",\"value\":\"propertyCollector\"},\"viewManager\":{\"_typeName\":"
    "\"ManagedObjectReference\",\"type\":\"ViewManager\",\"value\":\"ViewManager\"},"
    "\"about\":{\"_typeName\":\"AboutInfo\",\"name\":\"VMware vCenter Server\","
    "\"fullName\":\"VMware vCenter Server 8.0.3 build-24022515\",\"vendor\":\"VMware, "
    "Inc.\",\"version\":\"8.0.3\",\"build\":\"24022515\",\"localeVersion\":\"INTL\","
    "\"localeBuild\":\"000\",\"osType\":\"linux-x64\",\"productLineId\":\"vpx\","
    "\"apiType\":\"VirtualCenter\",\"apiVersion\":\"8.0.3.0\","
    "\"instanceUuid\":\"5f1c6e3a-2b7d-4c1e-9a0f-3d2b1c0e9f81\","
    "\"licenseProductName\":\"VMware VirtualCenter Server\","
    "\"licenseProductVersion\":\"8.0\"},\"setting\":{\"_typeName\":"
    "\"ManagedObjectReference\",\"type\":\"OptionManager\",\"value\":\"VpxSettings\"},"
    "\"sessionManager\":{\"_typeName\":\"ManagedObjectReference\",\"type\":"
    "\"SessionManager\",\"value\":\"SessionManager\"}}";

#define DTI_HEAD                                                                              \
  "{\"_typeName\":\"HostDateTimeInfo\",\"timeZone\":{\"_typeName\":"                          \
  "\"HostDateTimeSystemTimeZone\",\"key\":\"UTC\",\"name\":\"UTC\",\"description\":"          \
  "\"UTC\",\"gmtOffset\":0}"
/* datetimeinfo.json of the corpus: ESXi 8.0.3 with the 7.0.3 health fields */
static const char dti_8x[] =
    DTI_HEAD ",\"systemClockProtocol\":\"ntp\",\"ntpConfig\":{\"_typeName\":"
             "\"HostNtpConfig\",\"server\":[\"10.0.0.11\",\"10.0.0.12\"]},\"enabled\":true,"
             "\"disableEvents\":false,\"disableFallback\":false,\"inFallbackState\":false,"
             "\"serviceSync\":true,\"lastSyncTime\":\"2026-11-26T07:22:17.144010Z\","
             "\"remoteNtpServer\":\"10.0.0.11\",\"ntpRunTime\":86400,"
             "\"ntpDuration\":\"1 day\"}";
#define DTI_8X_SYNC 1795677737.144010 /* 2026-11-26T07:22:17.144010Z */
#define SYNC_WHOLE 1795677737.0       /* 2026-11-26T07:22:17Z */

/* ESXi 6.7.3 through a vCenter: timeZone and ntpConfig only */
static const char dti_67[] =
    DTI_HEAD ",\"ntpConfig\":{\"_typeName\":\"HostNtpConfig\",\"server\":[\"10.0.0.11\"]}}";

#define SERVICE(key, running, policy)                                                         \
  "{\"_typeName\":\"HostService\",\"key\":\"" key "\",\"label\":\"" key "\","                 \
  "\"required\":false,\"uninstallable\":false,\"running\":" running ",\"policy\":\"" policy   \
  "\"}"

#define SVC_DCUI SERVICE("DCUI", "true", "on")
#define SVC_SSH SERVICE("TSM-SSH", "false", "off")
#define SVC_NTPD SERVICE("ntpd", "true", "on")
#define SVC_PTPD SERVICE("ptpd", "false", "off")

/* serviceinfo.json of the corpus, shortened */
static const char svc_running[] = "{\"_typeName\":\"HostServiceInfo\",\"service\":[" SVC_DCUI
                                  "," SVC_SSH "," SVC_NTPD "," SVC_PTPD "]}";

static enum tsync_status
content(const char *body, struct vs_content *sc, struct tsync_err *err)
{
  size_t len = strlen(body);
  char *copy = exact(body, len);
  enum tsync_status st = vs_json_parse_content(copy, len, sc, err);

  free(copy);
  return st;
}

static enum tsync_status
datetime(const char *body, double now, struct tsync_host *h, struct tsync_err *err)
{
  size_t len = strlen(body);
  char *copy = exact(body, len);
  enum tsync_status st = vs_json_parse_datetime_info(copy, len, now, h, err);

  free(copy);
  return st;
}

static enum tsync_status
services(const char *body, struct tsync_host *h, struct tsync_err *err)
{
  size_t len = strlen(body);
  char *copy = exact(body, len);
  enum tsync_status st = vs_json_parse_service_info(copy, len, h, err);

  free(copy);
  return st;
}

/* A dateTimeInfo with the health fields and lastSyncTime text; parsed at now. */
static void
with_sync_time(const char *when, double now, struct tsync_host *h)
{
  char body[512];
  struct tsync_err err = {""};

  assert_true(snprintf(body, sizeof(body),
                       DTI_HEAD ",\"enabled\":true,\"serviceSync\":true,\"lastSyncTime\":%s}",
                       when) < (int)sizeof(body));
  memset(h, 0, sizeof(*h));
  if (datetime(body, now, h, &err) != TSYNC_OK)
    fail_msg("lastSyncTime %s: %s", when, err.msg);
  assert_true(h->have_health);
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

/* Only about.apiVersion is required; a missing moref is empty. */
static void
test_content_missing_fields(void **state)
{
  struct vs_content sc;
  struct tsync_err err = {""};

  (void)state;
  memset(&sc, 'x', sizeof(sc));
  assert_int_equal(content("{\"about\":{\"apiVersion\":\"8.0.2.0\"},\"rootFolder\":"
                           "{\"value\":7}}",
                           &sc, &err),
                   TSYNC_OK);
  assert_string_equal(sc.api_version, "8.0.2.0");
  assert_string_equal(sc.api_type, "");
  assert_string_equal(sc.session_manager, "");
  assert_string_equal(sc.root_folder, ""); /* a number is not a moId */
}

static void
test_content_no_api_version(void **state)
{
  static const char *const bad[] = {
      "{}",
      "{\"about\":{\"apiType\":\"VirtualCenter\"}}",
      "{\"about\":{\"apiVersion\":\"\"}}",
      "{\"about\":{\"apiVersion\":8.0}}",
      "{\"about\":{\"apiVersion\":null}}",
      "{\"about\":\"8.0.3.0\"}",
      "{\"about\":[{\"apiVersion\":\"8.0.3.0\"}]}",
      "[{\"about\":{\"apiVersion\":\"8.0.3.0\"}}]",
      "\"8.0.3.0\"",
      "42",
      "null",
  };
  struct vs_content sc;
  struct tsync_err err;
  size_t i;

  (void)state;
  for (i = 0; i < TSYNC_ARRAY_LEN(bad); i++) {
    memset(&sc, 0, sizeof(sc));
    err.msg[0] = '\0';
    if (content(bad[i], &sc, &err) != TSYNC_ERR_PROTO)
      fail_msg("'%s' accepted", bad[i]);
    assert_string_equal(err.msg, "the service content has no about.apiVersion");
    assert_string_equal(sc.api_version, "");
  }
}

static void
test_content_malformed(void **state)
{
  static const char *const bad[] = {
      "",
      "{\"about\":",
      "<soapenv:Envelope/>",
      "{\"about\":{\"apiVersion\":\"8.0.3.0\"}} trailing",
      "{\"about\":{\"apiVersion\":\"8.0.3.0\",\"apiVersion\":\"9.0\"}}", /* duplicate key */
      "{'about':1}",
  };
  struct vs_content sc;
  struct tsync_err err;
  size_t i;

  (void)state;
  for (i = 0; i < TSYNC_ARRAY_LEN(bad); i++) {
    memset(&sc, 0, sizeof(sc));
    err.msg[0] = '\0';
    if (content(bad[i], &sc, &err) != TSYNC_ERR_PROTO)
      fail_msg("'%s' accepted", bad[i]);
    expect_contains(err.msg, "malformed JSON from the server");
    assert_string_equal(sc.api_version, "");
  }
  /* len bounds the parse */
  assert_int_equal(vs_json_parse_content(content_vc8, 40, &sc, &err), TSYNC_ERR_PROTO);
}

/* ---- dateTimeInfo ---- */

static void
test_datetime_8x(void **state)
{
  struct tsync_host h;
  struct tsync_err err = {""};

  (void)state;
  memset(&h, 0, sizeof(h));
  assert_int_equal(datetime(dti_8x, DTI_8X_SYNC + 42.5, &h, &err), TSYNC_OK);
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
  assert_false(h.have_ntpd);
}

static void
test_datetime_67(void **state)
{
  struct tsync_host h;
  struct tsync_err err = {""};

  (void)state;
  memset(&h, 0, sizeof(h));
  memcpy(h.clock_protocol, "old", 4);
  assert_int_equal(datetime(dti_67, 1e9, &h, &err), TSYNC_OK);
  assert_int_equal(h.n_ntp_servers, 1);
  assert_string_equal(h.ntp_servers[0], "10.0.0.11");
  assert_string_equal(h.clock_protocol, "");
  assert_false(h.have_health);
  assert_false(h.have_service_sync);
  assert_false(h.have_last_sync);
  assert_false(h.have_fallback);
}

/* 7.0.3+ with every optional field unset: each is unknown, not false. */
static void
test_datetime_omitted_fields(void **state)
{
  struct tsync_host h;
  struct tsync_err err = {""};

  (void)state;
  memset(&h, 0, sizeof(h));
  h.service_sync = true;
  assert_int_equal(datetime(DTI_HEAD ",\"ntpConfig\":{\"_typeName\":\"HostNtpConfig\"},"
                                     "\"enabled\":false}",
                            1e9, &h, &err),
                   TSYNC_OK);
  assert_int_equal(h.n_ntp_servers, 0);
  assert_true(h.have_health);
  assert_false(h.have_service_sync);
  assert_true(h.service_sync); /* untouched */
  assert_false(h.have_fallback);
  assert_false(h.have_last_sync);
  assert_string_equal(h.remote_ntp_server, "");
  /* serviceSync alone also marks the health fields present */
  memset(&h, 0, sizeof(h));
  assert_int_equal(datetime("{\"serviceSync\":false}", 1e9, &h, &err), TSYNC_OK);
  assert_true(h.have_health && h.have_service_sync);
  assert_false(h.service_sync);
}

static void
test_datetime_wrong_types(void **state)
{
  static const char body[] =
      DTI_HEAD ",\"systemClockProtocol\":7,\"ntpConfig\":{\"server\":[1,null,\"ntp.a\",{},"
               "[\"x\"]]},\"enabled\":\"true\",\"serviceSync\":\"true\","
               "\"inFallbackState\":1,\"lastSyncTime\":1795677737,\"remoteNtpServer\":5}";
  struct tsync_host h;
  struct tsync_err err = {""};

  (void)state;
  memset(&h, 0, sizeof(h));
  assert_int_equal(datetime(body, 1e9, &h, &err), TSYNC_OK);
  assert_int_equal(h.n_ntp_servers, 1);
  assert_string_equal(h.ntp_servers[0], "ntp.a");
  assert_string_equal(h.clock_protocol, "");
  assert_true(h.have_health); /* enabled is there, whatever its type */
  assert_false(h.have_service_sync);
  assert_false(h.have_fallback);
  assert_false(h.have_last_sync);
  assert_string_equal(h.remote_ntp_server, "");
  /* server as a string, not an array: no servers */
  assert_int_equal(datetime("{\"ntpConfig\":{\"server\":\"10.0.0.1\"}}", 1e9, &h, &err),
                   TSYNC_OK);
  assert_int_equal(h.n_ntp_servers, 0);
}

static void
test_datetime_sync_time_forms(void **state)
{
  struct tsync_host h;

  (void)state;
  with_sync_time("\"2026-11-26T07:22:17.144010Z\"", DTI_8X_SYNC + 60, &h);
  assert_true(h.have_last_sync);
  expect_near(h.last_sync_age, 60, 1e-5);
  with_sync_time("\"2026-11-26T07:22:17Z\"", SYNC_WHOLE + 60, &h);
  assert_true(h.have_last_sync);
  expect_near(h.last_sync_age, 60, 1e-9);
  /* 09:22:17+02:00 is 07:22:17Z */
  with_sync_time("\"2026-11-26T09:22:17.5+02:00\"", SYNC_WHOLE + 60, &h);
  assert_true(h.have_last_sync);
  expect_near(h.last_sync_age, 59.5, 1e-6);
}

static void
test_datetime_sync_time_garbage(void **state)
{
  static const char *const bad[] = {
      "\"yesterday\"",
      "\"\"",
      "\"2026-11-26T07:22:17\"",
      "\"2026-11-26 07:22:17Z\"",
      "\"2026-13-26T07:22:17Z\"",
      "null",
      "true",
  };
  struct tsync_host h;
  size_t i;

  (void)state;
  for (i = 0; i < TSYNC_ARRAY_LEN(bad); i++) {
    with_sync_time(bad[i], 1e9, &h);
    if (h.have_last_sync)
      fail_msg("lastSyncTime %s taken", bad[i]);
    assert_true(h.have_service_sync && h.service_sync);
  }
}

static void
test_datetime_not_an_object(void **state)
{
  static const char *const bad[] = {"[1,2]", "\"2026-11-26T07:22:17Z\"", "42", "null", "true"};
  struct tsync_host h;
  struct tsync_err err;
  size_t i;

  (void)state;
  for (i = 0; i < TSYNC_ARRAY_LEN(bad); i++) {
    memset(&h, 0, sizeof(h));
    err.msg[0] = '\0';
    if (datetime(bad[i], 1e9, &h, &err) != TSYNC_ERR_PROTO)
      fail_msg("'%s' accepted", bad[i]);
    assert_string_equal(err.msg, "dateTimeInfo is not an object");
  }
  assert_int_equal(datetime("{\"ntpConfig\":", 1e9, &h, &err), TSYNC_ERR_PROTO);
  expect_contains(err.msg, "malformed JSON");
  assert_int_equal(datetime("", 1e9, &h, &err), TSYNC_ERR_PROTO);
  assert_false(h.have_health);
  assert_int_equal(h.n_ntp_servers, 0);
}

/* A dateTimeInfo body with n servers "NAMEi"; malloc'd. */
static char *
many_servers(unsigned n, const char *name)
{
  size_t len = 256 + (size_t)n * (strlen(name) + 16);
  char *body = malloc(len);
  size_t used;
  unsigned i;

  assert_non_null(body);
  used = (size_t)snprintf(body, len, "{\"ntpConfig\":{\"server\":[");
  for (i = 0; i < n; i++)
    used += (size_t)snprintf(body + used, len - used, "%s\"%s%u\"", i ? "," : "", name, i);
  used += (size_t)snprintf(body + used, len - used, "]}}");
  assert_true(used < len);
  return body;
}

static void
test_datetime_server_clamp(void **state)
{
  char *body = many_servers(TSYNC_MAX_NTP_SERVERS + 9, "ntp");
  struct tsync_host h;
  struct tsync_err err = {""};

  (void)state;
  memset(&h, 0, sizeof(h));
  assert_int_equal(datetime(body, 1e9, &h, &err), TSYNC_OK);
  assert_int_equal(h.n_ntp_servers, TSYNC_MAX_NTP_SERVERS);
  assert_string_equal(h.ntp_servers[0], "ntp0");
  assert_string_equal(h.ntp_servers[TSYNC_MAX_NTP_SERVERS - 1], "ntp15");
  free(body);
}

static void
test_datetime_long_server_name(void **state)
{
  char name[TSYNC_NAME_SIZE + 200], *body;
  struct tsync_host h;
  struct tsync_err err = {""};

  (void)state;
  memset(name, 'n', sizeof(name) - 1);
  name[sizeof(name) - 1] = '\0';
  body = many_servers(2, name);
  memset(&h, 'x', sizeof(h));
  assert_int_equal(datetime(body, 1e9, &h, &err), TSYNC_OK);
  assert_int_equal(h.n_ntp_servers, 2);
  assert_int_equal(strlen(h.ntp_servers[0]), TSYNC_NAME_SIZE - 1);
  assert_int_equal(h.ntp_servers[1][TSYNC_NAME_SIZE - 1], '\0');
  assert_int_equal(strncmp(h.ntp_servers[1], name, TSYNC_NAME_SIZE - 1), 0);
  free(body);
}

/* ---- serviceInfo ---- */

static void
test_service_running(void **state)
{
  struct tsync_host h;
  struct tsync_err err = {""};

  (void)state;
  memset(&h, 0, sizeof(h));
  assert_int_equal(services(svc_running, &h, &err), TSYNC_OK);
  assert_true(h.have_ntpd);
  assert_true(h.ntpd_running);
  assert_string_equal(h.ntpd_policy, "on");
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
  assert_int_equal(services("{\"service\":[" SERVICE("lbtd", "true", "on") "," SERVICE(
                                "ntpd", "false", "automatic") "]}",
                            &h, &err),
                   TSYNC_OK);
  assert_true(h.have_ntpd);
  assert_false(h.ntpd_running);
  assert_string_equal(h.ntpd_policy, "automatic");
}

static void
test_service_no_ntpd(void **state)
{
  static const char *const bodies[] = {
      "{\"service\":[" SERVICE("DCUI", "true", "on") "," SERVICE("ntpd2", "true", "on") "]}",
      "{\"service\":[]}",
      "{\"_typeName\":\"HostServiceInfo\"}",
      "{\"service\":{\"key\":\"ntpd\",\"running\":true}}",
      "{\"service\":[\"ntpd\",1,null]}",
  };
  struct tsync_host h;
  struct tsync_err err = {""};
  size_t i;

  (void)state;
  for (i = 0; i < TSYNC_ARRAY_LEN(bodies); i++) {
    memset(&h, 0, sizeof(h));
    if (services(bodies[i], &h, &err) != TSYNC_OK)
      fail_msg("'%s' refused: %s", bodies[i], err.msg);
    if (h.have_ntpd)
      fail_msg("'%s': ntpd found", bodies[i]);
    assert_string_equal(h.ntpd_policy, "");
  }
}

static void
test_service_malformed(void **state)
{
  static const char *const bad[] = {"", "{\"service\":[", "{\"service\":[]}}", "<xml/>"};
  struct tsync_host h;
  struct tsync_err err;
  size_t i;

  (void)state;
  for (i = 0; i < TSYNC_ARRAY_LEN(bad); i++) {
    memset(&h, 0, sizeof(h));
    err.msg[0] = '\0';
    if (services(bad[i], &h, &err) != TSYNC_ERR_PROTO)
      fail_msg("'%s' accepted", bad[i]);
    expect_contains(err.msg, "malformed JSON");
    assert_false(h.have_ntpd);
  }
}

/* A serviceInfo that is not an object is not what the call returns. */
static void
test_service_not_an_object(void **state)
{
  static const char *const bad[] = {
      "[" SERVICE("ntpd", "true", "on") "]",
      "\"ntpd\"",
      "null",
  };
  struct tsync_host h;
  struct tsync_err err;
  size_t i;

  (void)state;
  for (i = 0; i < TSYNC_ARRAY_LEN(bad); i++) {
    memset(&h, 0, sizeof(h));
    err.msg[0] = '\0';
    if (services(bad[i], &h, &err) != TSYNC_ERR_PROTO)
      fail_msg("'%s' accepted", bad[i]);
    assert_string_equal(err.msg, "serviceInfo is not an object");
    assert_false(h.have_ntpd);
  }
}

/* ---- vs_version_cmp ---- */

static void
expect_cmp(const char *a, const char *b, int sign)
{
  int got = vs_version_cmp(a, b), back = vs_version_cmp(b, a);

  if ((got > 0) - (got < 0) != sign || (back > 0) - (back < 0) != -sign)
    fail_msg("vs_version_cmp('%s', '%s') = %d, reverse %d; want sign %d", a, b, got, back,
             sign);
}

static void
test_version_cmp(void **state)
{
  (void)state;
  expect_cmp("8.0.3.0", "8.0.1.0", 1);
  expect_cmp("8.0.1", "8.0.1.0", 0);
  expect_cmp("6.7.3", "8.0.1.0", -1);
  expect_cmp("10.0", "9.9", 1);
  expect_cmp("8.0.10.0", "8.0.9.0", 1); /* numbers, not text */
  expect_cmp("7.0.3.0", "7.0.3.0", 0);
  expect_cmp("7.0.3.1", "7.0.3", 1);
  expect_cmp("6.7", "6.7.0.0", 0);
  expect_cmp("8.0.2.0", VSPHERE_JSON_MIN_RELEASE, 1);
  expect_cmp("8.0.0.1", VSPHERE_JSON_MIN_RELEASE, -1);
  expect_cmp("", "", 0);
  expect_cmp("", "1", -1);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_content_vcenter),
      cmocka_unit_test(test_content_missing_fields),
      cmocka_unit_test(test_content_no_api_version),
      cmocka_unit_test(test_content_malformed),
      cmocka_unit_test(test_datetime_8x),
      cmocka_unit_test(test_datetime_67),
      cmocka_unit_test(test_datetime_omitted_fields),
      cmocka_unit_test(test_datetime_wrong_types),
      cmocka_unit_test(test_datetime_sync_time_forms),
      cmocka_unit_test(test_datetime_sync_time_garbage),
      cmocka_unit_test(test_datetime_not_an_object),
      cmocka_unit_test(test_datetime_server_clamp),
      cmocka_unit_test(test_datetime_long_server_name),
      cmocka_unit_test(test_service_running),
      cmocka_unit_test(test_service_stopped),
      cmocka_unit_test(test_service_no_ntpd),
      cmocka_unit_test(test_service_malformed),
      cmocka_unit_test(test_service_not_an_object),
      cmocka_unit_test(test_version_cmp),
  };

  return cmocka_run_group_tests_name("vsphere_json", tests, NULL, NULL);
}
