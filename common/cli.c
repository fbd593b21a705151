/* cli.c -- common option handling. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "checkmk.h"
#include "cli.h"
#include "deadline.h"
#include "openmetrics.h"
#include "output.h"
#include "parse.h"

void
cli_common_init(struct cli_common *c)
{
  memset(c, 0, sizeof(*c));
  c->timeout = CLI_DEFAULT_TIMEOUT;
  c->family = AF_UNSPEC;
  c->started = tsync_now();
}

static bool
format_of(const char *name, enum cli_format *out)
{
  static const char *const names[] = {"nagios", "json", "openmetrics", "checkmk"};
  size_t i;

  for (i = 0; i < TSYNC_ARRAY_LEN(names); i++)
    if (strcmp(name, names[i]) == 0) {
      *out = (enum cli_format)i;
      return true;
    }
  return false;
}

/* The output options, read before getopt: a usage error that comes before them on the
 * line must still be answered in the format asked for (a scrape, a Checkmk agent). An
 * invalid value is left for getopt to report. */
static void
prescan_output(struct cli_common *c, int argc, char **argv)
{
  int i;

  for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
    const char *a = argv[i], *v = NULL;
    bool service = false;

    if (strncmp(a, "--format=", 9) == 0)
      v = a + 9;
    else if (strncmp(a, "--service-name=", 15) == 0)
      v = a + 15, service = true;
    else if ((strcmp(a, "--format") == 0 || strcmp(a, "--service-name") == 0) && i + 1 < argc)
      v = argv[++i], service = a[2] == 's';
    if (v && service)
      c->service = v;
    else if (v)
      (void)format_of(v, &c->format);
  }
}

/* Handles one getopt result if it is a common option. Returns 1 when handled, 0 when the
 * option is not a common one, -1 on a bad value (err set). */
static int
cli_parse_common(struct cli_common *c, int opt, const char *arg, struct tsync_err *err)
{
  /* Zabbix passes an unset key parameter, and an unset macro, as "" */
  if (arg && !arg[0])
    return 1;
  switch (opt) {
  case 'h':
    c->action = CLI_HELP;
    return 1;
  case 'V':
    c->action = CLI_VERSION;
    return 1;
  case 'v':
    c->verbose++;
    return 1;
  case 't':
    return tsync_parse_double(arg, 0.1, CLI_MAX_TIMEOUT, &c->timeout, "-t/--timeout", err) ==
                   TSYNC_OK
               ? 1
               : -1;
  case 'H':
    c->host = arg;
    return 1;
  case 'p': {
    long port;

    if (tsync_parse_long(arg, 1, 65535, &port, "-p/--port", err) != TSYNC_OK)
      return -1;
    c->port = arg;
    return 1;
  }
  case '4':
  case '6':
    c->family = opt == '4' ? AF_INET : AF_INET6;
    return 1;
  case CLI_OPT_FORMAT:
    if (!format_of(arg, &c->format))
      return tsync_err_set(err, TSYNC_ERR_ARG,
                           "--format: '%s' is not nagios, json, openmetrics or checkmk", arg),
             -1;
    return 1;
  case CLI_OPT_SERVICE:
    c->service = arg;
    return 1;
  case CLI_OPT_DISCOVER:
    c->discover = true;
    return 1;
  default:
    return 0;
  }
}

/* The error for getopt's '?' or ':' (unknown option, missing argument). */
static enum tsync_status
cli_bad_option(char **argv, int optopt, struct tsync_err *err)
{
  /* optind already moved past the offending word */
  return tsync_err_set(err, TSYNC_ERR_ARG, "%s: %s",
                       optopt ? "option needs an argument or is unknown" : "unknown option",
                       argv[optind - 1]);
}

enum tsync_status
cli_parse_args(int argc, char **argv, const char *shortopts, const struct option *longopts,
               struct cli_common *common, cli_option_fn fn, void *ctx, struct tsync_err *err)
{
  int opt;

  prescan_output(common, argc, argv);
  optind = 0; /* glibc: full re-initialisation, so the agent can parse many lines */
  opterr = 0; /* errors are ours to word; nothing may reach stderr in JSON mode */
  while ((opt = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
    if (opt == '?' || opt == ':')
      return cli_bad_option(argv, optopt, err);
    int r = cli_parse_common(common, opt, optarg, err);

    if (r < 0 || (r == 0 && fn(ctx, opt, optarg, err) != TSYNC_OK))
      return TSYNC_ERR_ARG;
  }
  if (optind < argc)
    return tsync_err_set(err, TSYNC_ERR_ARG, "unexpected argument '%s'", argv[optind]);
  return TSYNC_OK;
}

enum tsync_status
cli_parse_range(struct thr_range *r, const char *opt, const char *arg, struct tsync_err *err)
{
  struct tsync_err why;

  if (thr_parse(r, arg, &why) != TSYNC_OK)
    return tsync_err_set(err, TSYNC_ERR_ARG, "%s: %s", opt, why.msg);
  return TSYNC_OK;
}

void
cli_free_hosts(struct tsync_expect **list, unsigned *n)
{
  free(*list);
  *list = NULL;
  *n = 0;
}

enum tsync_status
cli_parse_hosts(struct tsync_expect **list, unsigned max, unsigned *n, const char *opt,
                const char *arg, struct tsync_err *err)
{
  const char *p = arg;

  while (*p) {
    size_t len = strcspn(p, ",");
    struct tsync_expect *grown;

    if (len == 0 || len >= TSYNC_NAME_SIZE)
      return tsync_err_set(err, TSYNC_ERR_ARG, "%s: bad host list '%s'", opt, arg);
    if (*n >= max)
      return tsync_err_set(err, TSYNC_ERR_ARG, "%s: more than %u hosts", opt, max);
    grown = realloc(*list, (*n + 1) * sizeof(**list));
    if (!grown)
      return tsync_err_set(err, TSYNC_ERR_NOMEM, "out of memory");
    *list = grown;
    memset(&grown[*n], 0, sizeof(grown[*n]));
    memcpy(grown[*n].name, p, len);
    (*n)++;
    p += len;
    if (*p == ',')
      p++;
  }
  return TSYNC_OK;
}

void
cli_version(const char *prog, char *buf, size_t len)
{
  if (snprintf(buf, len, "%s v%s (timesync-monitor %s)", prog, TSYNC_VERSION, TSYNC_VERSION) <
          0 &&
      len)
    buf[0] = '\0';
}

static int
cli_render_info(const struct cli_common *c, const char *prog, const char *usage,
                const char *help, char *buf, size_t len)
{
  char version[128];

  cli_version(prog, version, sizeof(version));
  if (snprintf(buf, len, "%s\n%s%s%s%s", version, c->action == CLI_HELP ? "\n" : "",
               c->action == CLI_HELP ? usage : "", c->action == CLI_HELP ? "\n" : "",
               c->action == CLI_HELP ? help : "") < 0 &&
      len)
    buf[0] = '\0';
  return TSYNC_STATE_UNKNOWN;
}

void
cli_trace_collect(void *ctx, int level, const char *line)
{
  struct cli_trace *t = ctx;
  int n;

  if (!t || level > t->verbose || t->used >= sizeof(t->text))
    return;
  n = snprintf(t->text + t->used, sizeof(t->text) - t->used, "debug: %s\n", line);
  if (n > 0)
    t->used = (size_t)n < sizeof(t->text) - t->used ? t->used + (size_t)n : sizeof(t->text);
}

/* Appends text to buf (NUL-terminated, len bytes) as far as it fits. */
static void
append(char *buf, size_t len, const char *text)
{
  size_t used = strlen(buf);

  if (used + 1 < len && snprintf(buf + used, len - used, "%s", text) < 0)
    buf[used] = '\0';
}

/* What was checked, the metrics' target label: the plugin's target (chronyd's socket),
 * else -H, with ":PORT" when -p was given (two servers on one host are two series). Never
 * the transport a probe fell back to: a series keeps its labels when the check fails. */
static const char *
target_of(const struct cli_common *c, char *buf, size_t len)
{
  if (c->target)
    return c->target;
  if (!c->host)
    return "";
  if (!c->port ||
      snprintf(buf, len, strchr(c->host, ':') ? "[%s]:%s" : "%s:%s", c->host, c->port) < 0)
    return c->host;
  return buf;
}

/* Drops a UTF-8 sequence that a cut left incomplete at the end of s. */
static void
utf8_trim(char *s)
{
  size_t n = strlen(s), lead = n, need;

  while (lead > 0 && n - lead < 4 && ((unsigned char)s[lead - 1] & 0xc0) == 0x80)
    lead--; /* back over continuation bytes to the lead byte */
  if (lead == 0 || ((unsigned char)s[lead - 1] & 0x80) == 0)
    return;
  lead--;
  need = ((unsigned char)s[lead] & 0xe0) == 0xc0   ? 2
         : ((unsigned char)s[lead] & 0xf0) == 0xe0 ? 3
         : ((unsigned char)s[lead] & 0xf8) == 0xf0 ? 4
                                                   : 0;
  if (n - lead < need || need == 0)
    s[lead] = '\0';
}

/* A plugin's names outside Nagios: the metrics' check label and the Checkmk service's
 * word, by its Nagios prefix. */
static const struct {
  const char *prefix, *check, *service;
} plugin_names[] = {
    {"CHRONY", "chrony", "chrony"},
    {"W32TIME", "w32time", "W32Time"},
    {"ESXI", "esxi", "ESXi"},
};

/* The OpenMetrics and Checkmk renderings, which a usage error shares. */
static int
render_metrics(const struct cli_common *c, const char *prefix, const struct eval_result *res,
               const struct tsync_report *rep, bool probed, char *buf, size_t len)
{
  const char *check = prefix, *kind = prefix;
  char service[CMK_SERVICE_SIZE];
  size_t i;

  for (i = 0; i < TSYNC_ARRAY_LEN(plugin_names); i++)
    if (strcmp(prefix, plugin_names[i].prefix) == 0) {
      check = plugin_names[i].check;
      kind = plugin_names[i].service;
    }
  if (c->format == CLI_FORMAT_OPENMETRICS) {
    /* a mode is a check of its own (chrony_clients): its run series must not collide
     * with the sync check's of the same target in one scrape */
    char mode_check[40], target[TSYNC_NAME_SIZE + 16];
    /* measured: eval_failure leaves no perfdata, every evaluated run has some (a
     * Kiss-o'-Death answers but measures nothing) */
    struct om_run run = {check, target_of(c, target, sizeof(target)),
                         tsync_ts_diff(c->started, tsync_now()), probed && res->n_perf > 0};

    if (c->service_detail &&
        snprintf(mode_check, sizeof(mode_check), "%s_%s", check, c->service_detail) > 0)
      run.check = mode_check;
    return om_render(&run, res, rep, buf, len) == TSYNC_OK ? (int)res->state : 3;
  }
  /* Checkmk names services per host: "Timesync chrony", "Timesync W32Time dc01" */
  if (c->service) {
    tsync_copy(service, sizeof(service), c->service);
  } else {
    const char *subject = c->service_subject ? c->service_subject : c->host;

    if (snprintf(service, sizeof(service), "Timesync %s%s%s%s%s", kind,
                 c->service_detail ? " " : "", c->service_detail ? c->service_detail : "",
                 subject ? " " : "", subject ? subject : "") < 0)
      service[0] = '\0';
  }
  utf8_trim(service);
  return cmk_render(service, res, rep, buf, len) == TSYNC_ERR_TOO_LARGE && !buf[0]
             ? 3
             : (int)res->state;
}

int
cli_render(const struct cli_common *c, const char *prefix, const struct eval_result *res,
           const struct tsync_report *rep, const struct cli_trace *tr, char *buf, size_t len)
{
  /* a failed probe has no data; its discovery is the error, so Zabbix keeps its items */
  bool probed = rep->have_clock || rep->clients || rep->n_sources || rep->n_hosts;

  if (c->discover && probed)
    return out_discovery(rep, buf, len) == TSYNC_OK ? 0 : 3;
  if (c->format == CLI_FORMAT_JSON) {
    return out_json(res, rep, buf, len) == TSYNC_OK ? (int)res->state : 3;
  }
  if (c->format == CLI_FORMAT_OPENMETRICS || c->format == CLI_FORMAT_CHECKMK)
    return render_metrics(c, prefix, res, rep, probed, buf, len);
  /* a cut result is still printed: its first line is whole */
  if (out_nagios(prefix, res, rep, c->verbose, buf, len) == TSYNC_ERR_TOO_LARGE)
    append(buf, len, "(output cut)\n");
  if (tr)
    append(buf, len, tr->text);
  return (int)res->state;
}

static int
cli_render_usage_error(const struct cli_common *c, const char *prefix, const char *msg,
                       const char *usage, char *buf, size_t len)
{
  struct eval_result res;

  /* a Zabbix item asked for JSON: keep the reply parseable */
  eval_failure(TSYNC_ERR_ARG, msg, &res);
  if (c->format == CLI_FORMAT_JSON && out_json(&res, NULL, buf, len) == TSYNC_OK)
    return TSYNC_STATE_UNKNOWN;
  /* a scrape or a Checkmk agent gets a failed check, not the usage text */
  if (c->format == CLI_FORMAT_OPENMETRICS || c->format == CLI_FORMAT_CHECKMK)
    return render_metrics(c, prefix, &res, NULL, false, buf, len);
  if (snprintf(buf, len, "%s UNKNOWN: %s\n%s", prefix, msg, usage) < 0 && len)
    buf[0] = '\0';
  return TSYNC_STATE_UNKNOWN;
}

bool
cli_render_parsed(const struct cli_common *c, enum tsync_status st, const char *why,
                  const char *prog, const char *prefix, const char *usage, const char *help,
                  char *buf, size_t len, int *code)
{
  if (st != TSYNC_OK)
    *code = cli_render_usage_error(c, prefix, why, usage, buf, len);
  else if (c->action != CLI_RUN)
    *code = cli_render_info(c, prog, usage, help, buf, len);
  else
    return false;
  return true;
}
