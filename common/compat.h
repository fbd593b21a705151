/* compat.h -- compiler attributes and feature macros, in one place.
 *
 * HAVE_* macros come from the Makefile's pkg-config checks, never from OS tests.
 */
#ifndef TSYNC_COMPAT_H
#define TSYNC_COMPAT_H

#if defined(__GNUC__) || defined(__clang__)
#define TSYNC_WUR __attribute__((warn_unused_result))
#define TSYNC_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define TSYNC_UNUSED __attribute__((unused))
#else
#define TSYNC_WUR
#define TSYNC_PRINTF(fmt, args)
#define TSYNC_UNUSED
#endif

#define TSYNC_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#ifndef TSYNC_VERSION
#define TSYNC_VERSION "1.0.0"
#endif

#endif
