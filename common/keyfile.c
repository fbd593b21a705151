/* keyfile.c -- small private "key=value" files, read with the checks a secret needs. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keyfile.h"

enum tsync_status
keyfile_read(const char *path, const char *what, bool must_own, bool *missing, char *buf,
             size_t len, struct tsync_err *err)
{
  struct stat st;
  ssize_t n;
  /* O_NONBLOCK: a FIFO put in its place is refused below instead of waited on; a file
   * of our own (must_own) is one we write, so a link there is not followed either */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | (must_own ? O_NOFOLLOW : 0));

  if (len)
    buf[0] = '\0';
  if (missing)
    *missing = false;
  if (fd < 0 && errno == ENOENT && missing) {
    *missing = true;
    return TSYNC_OK;
  }
  if (fd < 0)
    return tsync_err_errno(err, TSYNC_ERR_ARG, errno, "cannot read %s %s", what, path);
  if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077) ||
      (must_own && st.st_uid != geteuid())) {
    close(fd);
    return must_own ? tsync_err_set(err, TSYNC_ERR_ARG,
                                    "%s %s must be a regular file of this user with mode 0600",
                                    what, path)
                    : tsync_err_set(err, TSYNC_ERR_ARG,
                                    "%s %s may be read by group or others: chmod 600 it", what,
                                    path);
  }
  n = len > 1 ? read(fd, buf, (len < KEYFILE_MAX ? len : KEYFILE_MAX) - 1) : 0;
  close(fd);
  if (len)
    buf[n > 0 ? n : 0] = '\0';
  return TSYNC_OK;
}

char *
keyfile_line(char **pos)
{
  char *line = *pos, *end;

  if (!*line)
    return NULL;
  end = line + strcspn(line, "\n");
  *pos = *end ? end + 1 : end;
  *end = '\0';
  return line;
}

const char *
keyfile_value(const char *line, const char *key)
{
  size_t n = strlen(key);

  return strncmp(line, key, n) == 0 && line[n] == '=' ? line + n + 1 : NULL;
}
