/* reaper.c -- runs a test suite so that nothing it starts can outlive it.
 *
 * Usage: reaper [-g GRACE] [-w WAIT] -- COMMAND [ARG...]
 *
 * The reaper makes itself a child subreaper (prctl PR_SET_CHILD_SUBREAPER): every process
 * the suite starts, also one that double-forks or calls setsid() (a daemonising icinga2,
 * a net-snmp daemon), stays in its process tree. SIGTERM, SIGINT and SIGHUP are passed to
 * COMMAND, which gets WAIT seconds (default 15) to run its own cleanup. When COMMAND has
 * exited, or WAIT ran out, every remaining descendant gets SIGTERM (and SIGCONT, in case a
 * test stopped it), GRACE seconds (default 5), then SIGKILL; all are reaped.
 *
 * Each descendant that was still there after COMMAND exited is printed on stderr as
 * "LEAK PID COMMAND-LINE": a suite that ends normally must leave none (tests/run.sh counts
 * such a line as a failure). Exit status: COMMAND's, or 128 + the signal that ended it.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_PROCS 4096

static volatile sig_atomic_t pending_signal;

static void
on_signal(int sig)
{
  pending_signal = sig;
}

static double
now(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The parent pid from /proc/PID/stat (the field after the parenthesised name); -1, also
 * for a zombie: it is already gone, only its exit status waits for its parent. */
static pid_t
parent_of(pid_t pid)
{
  char path[64], buf[512], *p;
  FILE *f;
  size_t n;
  long ppid;

  snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
  if (!(f = fopen(path, "r")))
    return -1;
  n = fread(buf, 1, sizeof(buf) - 1, f);
  fclose(f);
  buf[n] = '\0';
  if (!(p = strrchr(buf, ')')) || p[1] != ' ' || !p[2] || p[3] != ' ')
    return -1;
  if (p[2] == 'Z')
    return -1;
  errno = 0;
  ppid = strtol(p + 4, NULL, 10);
  return errno ? -1 : (pid_t)ppid;
}

/* Every live descendant of this process (children of children included), up to max. */
static size_t
descendants(pid_t *out, size_t max)
{
  static pid_t pids[MAX_PROCS], parents[MAX_PROCS];
  size_t n = 0, found = 0, i;
  struct dirent *e;
  DIR *d = opendir("/proc");
  bool grew = true;

  if (!d)
    return 0;
  while ((e = readdir(d)) && n < MAX_PROCS) {
    char *end;
    long pid = strtol(e->d_name, &end, 10);

    if (*end || pid <= 0)
      continue;
    pids[n] = (pid_t)pid;
    parents[n++] = parent_of((pid_t)pid);
  }
  closedir(d);
  /* grow the set from our own pid until no process joins it */
  while (grew) {
    grew = false;
    for (i = 0; i < n && found < max; i++) {
      size_t k;
      bool in = parents[i] == getpid();

      for (k = 0; !in && k < found; k++)
        in = parents[i] == out[k];
      for (k = 0; in && k < found; k++)
        in = out[k] != pids[i];
      if (in) {
        out[found++] = pids[i];
        grew = true;
      }
    }
  }
  return found;
}

/* The command line is empty for a moment while a process is inside execve(): read it
 * again for up to 0.5 s before printing the process's short name instead. */
static void
print_leak(pid_t pid)
{
  char path[64], cmd[512];
  size_t n = 0, i;
  int tries;
  FILE *f;

  for (tries = 0; n == 0 && tries < 50; tries++) {
    if (tries > 0)
      usleep(10000);
    snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
    if (!(f = fopen(path, "r")))
      break; /* gone */
    n = fread(cmd, 1, sizeof(cmd) - 1, f);
    fclose(f);
  }
  if (n == 0) {
    snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
    if ((f = fopen(path, "r"))) {
      cmd[0] = '[';
      n = 1 + fread(cmd + 1, 1, sizeof(cmd) - 3, f);
      fclose(f);
      while (n > 1 && cmd[n - 1] == '\n')
        n--;
      cmd[n++] = ']';
    }
  }
  for (i = 0; i + 1 < n; i++)
    if (cmd[i] == '\0')
      cmd[i] = ' ';
  cmd[n] = '\0';
  fprintf(stderr, "LEAK %d %s\n", (int)pid, cmd);
}

static void
reap_any(void)
{
  while (waitpid(-1, NULL, WNOHANG) > 0)
    ;
}

/* TERM (+CONT), up to grace seconds, then KILL, until no descendant is left. */
static void
sweep(double grace, bool report)
{
  static pid_t left[MAX_PROCS];
  size_t n, i;
  double end;

  n = descendants(left, MAX_PROCS);
  for (i = 0; i < n; i++) {
    if (report)
      print_leak(left[i]);
    kill(left[i], SIGTERM);
    kill(left[i], SIGCONT);
  }
  end = now() + grace;
  while (n > 0 && now() < end) {
    reap_any();
    usleep(20000);
    n = descendants(left, MAX_PROCS);
  }
  while (n > 0) { /* a SIGKILLed process's children come to us: loop until none */
    for (i = 0; i < n; i++)
      kill(left[i], SIGKILL);
    usleep(20000);
    reap_any();
    n = descendants(left, MAX_PROCS);
  }
  reap_any();
}

static bool
parse_seconds(const char *s, double *out)
{
  char *end;
  double v;

  errno = 0;
  v = strtod(s, &end);
  if (errno || end == s || *end || v < 0 || v > 3600)
    return false;
  *out = v;
  return true;
}

/* Waits for child until it exits or the deadline passes; false on timeout. */
static bool
wait_child(pid_t child, int *status, double deadline, pid_t fwd)
{
  for (;;) {
    pid_t p = waitpid(-1, status, WNOHANG);

    if (p == child)
      return true;
    if (p > 0)
      continue; /* an orphan that came to us: reaped */
    if (pending_signal && fwd > 0) {
      kill(fwd, pending_signal);
      pending_signal = 0;
      return false;
    }
    if (deadline > 0 && now() >= deadline)
      return false;
    usleep(20000);
  }
}

int
main(int argc, char **argv)
{
  double grace = 5, wait = 15;
  int opt, status = 0;
  struct sigaction sa;
  pid_t child;

  while ((opt = getopt(argc, argv, "g:w:")) != -1) {
    if ((opt == 'g' && parse_seconds(optarg, &grace)) ||
        (opt == 'w' && parse_seconds(optarg, &wait)))
      continue;
    fprintf(stderr, "usage: reaper [-g GRACE] [-w WAIT] -- COMMAND [ARG...]\n");
    return 2;
  }
  if (optind >= argc) {
    fprintf(stderr, "usage: reaper [-g GRACE] [-w WAIT] -- COMMAND [ARG...]\n");
    return 2;
  }
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
    perror("reaper: PR_SET_CHILD_SUBREAPER");
    return 2;
  }
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  if ((child = fork()) < 0) {
    perror("reaper: fork");
    return 2;
  }
  if (child == 0) {
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    execvp(argv[optind], argv + optind);
    fprintf(stderr, "reaper: %s: %s\n", argv[optind], strerror(errno));
    _exit(127);
  }
  /* until the child ends, or a signal came: then it has `wait` seconds for its cleanup */
  if (!wait_child(child, &status, 0, child) && !wait_child(child, &status, now() + wait, -1)) {
    fprintf(stderr, "reaper: %s did not finish within %g s of the signal\n", argv[optind],
            wait);
    kill(child, SIGKILL);
    waitpid(child, &status, 0);
  }
  sweep(grace, true);
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}
