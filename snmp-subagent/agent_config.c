/* agent_config.c -- "check NAME PLUGIN ARGS..." lines: the same option parsers as the
 * plugins, so an option means the same in both places. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"

/* Splits line into words like a shell would for plain options: blanks separate,
 * '...' and "..." quote, backslash escapes inside double quotes. Words are strdup'd. */
static enum tsync_status
split(const char *line, char **argv, int max, int *argc, struct tsync_err *err)
{
  const char *p = line;

  *argc = 0;
  while (*p) {
    char word[1024];
    size_t n = 0;

    while (*p == ' ' || *p == '\t')
      p++;
    if (!*p)
      break;
    while (*p && *p != ' ' && *p != '\t') {
      char q = *p;

      if (q == '\'' || q == '"') {
        for (p++; *p && *p != q; p++) {
          if (q == '"' && *p == '\\' && p[1])
            p++;
          if (n + 1 < sizeof(word))
            word[n++] = *p;
        }
        if (*p != q)
          return tsync_err_set(err, TSYNC_ERR_ARG, "unterminated quote");
        p++;
      } else if (n + 1 < sizeof(word)) {
        word[n++] = *p++;
      } else {
        p++;
      }
    }
    word[n] = '\0';
    if (*argc >= max)
      return tsync_err_set(err, TSYNC_ERR_ARG, "more than %d words", max);
    if (!(argv[(*argc)++] = strdup(word)))
      return tsync_err_set(err, TSYNC_ERR_NOMEM, "out of memory");
  }
  return TSYNC_OK;
}

static void
free_words(char **argv, int argc)
{
  int i;

  for (i = 0; i < argc; i++)
    free(argv[i]);
}

/* Releases what a plugin parser allocated (its expected-host lists). */
static void
free_plugin(struct agent_check *c)
{
  switch (c->kind) {
  case AGENT_CHRONY: chrony_check_free(&c->cfg.chrony); break;
  case AGENT_W32TIME: w32time_free(&c->cfg.w32time); break;
  case AGENT_ESXI: esxi_free(&c->cfg.esxi); break;
  }
}

/* Parses the plugin options with that plugin's own parser. */
static enum tsync_status
parse_plugin(struct agent_check *c, struct tsync_err *err)
{
  const char *plugin = c->argv[0];
  enum tsync_status st;

  if (strcmp(plugin, "check_chrony") == 0) {
    c->kind = AGENT_CHRONY;
    st = chrony_check_parse(c->argc, c->argv, &c->cfg.chrony, err);
    tsync_copy(c->target, sizeof(c->target),
               c->cfg.chrony.common.host     ? c->cfg.chrony.common.host
               : c->cfg.chrony.socket_path ? c->cfg.chrony.socket_path
                                             : CHRONY_DEFAULT_SOCKET);
  } else if (strcmp(plugin, "check_w32time") == 0) {
    c->kind = AGENT_W32TIME;
    st = w32time_parse(c->argc, c->argv, &c->cfg.w32time, err);
    tsync_copy(c->target, sizeof(c->target), c->cfg.w32time.common.host);
  } else if (strcmp(plugin, "check_esxi_time") == 0) {
    c->kind = AGENT_ESXI;
    st = esxi_parse(c->argc, c->argv, &c->cfg.esxi, err);
    esxi_forget(&c->cfg.esxi); /* read again from the authfile at every poll */
    tsync_copy(c->target, sizeof(c->target), c->cfg.esxi.common.host);
  } else {
    return tsync_err_set(err, TSYNC_ERR_ARG,
                         "unknown plugin '%s' (check_chrony, check_w32time, check_esxi_time)",
                         plugin);
  }
  return st;
}

enum tsync_status
agent_check_parse(struct agent *a, const char *line, struct tsync_err *err)
{
  struct agent_check *c = calloc(1, sizeof(*c));
  char *words[AGENT_MAX_ARGS + 2];
  int n = 0;
  enum tsync_status st;

  if (!c)
    return tsync_err_set(err, TSYNC_ERR_NOMEM, "out of memory");
  st = split(line, words, AGENT_MAX_ARGS + 1, &n, err);
  if (st == TSYNC_OK && n < 2)
    st = tsync_err_set(err, TSYNC_ERR_ARG, "usage: check NAME PLUGIN [OPTIONS...]");
  for (size_t i = 0; st == TSYNC_OK && n >= 1 && i < a->n_checks; i++)
    if (strcmp(a->checks[i]->name, words[0]) == 0)
      st = tsync_err_set(err, TSYNC_ERR_ARG, "a check named '%s' exists already", words[0]);
  if (st == TSYNC_OK && a->n_checks >= AGENT_MAX_CHECKS)
    st = tsync_err_set(err, TSYNC_ERR_ARG, "more than %d checks", AGENT_MAX_CHECKS);
  if (st == TSYNC_OK) {
    tsync_copy(c->name, sizeof(c->name), words[0]);
    /* argv[0] is the plugin, as on a command line */
    memcpy(c->argv, words + 1, (size_t)(n - 1) * sizeof(*words));
    c->argc = n - 1;
    n = 1; /* words[1..] now belong to c */
    st = parse_plugin(c, err);
  }
  if (st == TSYNC_OK) {
    struct agent_check **grown = realloc(a->checks, (a->n_checks + 1) * sizeof(*grown));

    if (grown)
      a->checks = grown;
    else
      st = tsync_err_set(err, TSYNC_ERR_NOMEM, "out of memory");
  }
  if (st != TSYNC_OK) {
    free_plugin(c); /* nothing when the plugin was unknown */
    free_words(words, n);
    free_words(c->argv, c->argc);
    free(c);
    return st;
  }
  free(words[0]);
  c->index = (unsigned)a->n_checks + 1;
  pthread_mutex_init(&c->lock, NULL);
  a->checks[a->n_checks++] = c;
  return TSYNC_OK;
}

void
agent_checks_free(struct agent *a)
{
  for (size_t i = 0; i < a->n_checks; i++) {
    struct agent_check *c = a->checks[i];

    free_plugin(c);
    free_words(c->argv, c->argc);
    free(c->res.sources);
    pthread_mutex_destroy(&c->lock);
    free(c);
  }
  free(a->checks);
  a->checks = NULL;
  a->n_checks = 0;
}
