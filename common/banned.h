/*
 * banned.h - calls this tree does not make, in the manner of git's banned.h.
 *
 * Each overruns or truncates its destination silently, or (the time calls)
 * returns a static buffer another thread may overwrite. Use struct sbuf
 * (sbuf.h), snprintf, memcpy with a known length, strtok_r, gmtime_r and
 * localtime_r. A call to one fails to compile, naming it:
 * "sorry_strcpy_is_a_banned_function" undeclared.
 *
 * Included last by compat.h, which the build puts before every file
 * (-include), after the system headers that declare these.
 */
#ifndef XF_BANNED_H
#define XF_BANNED_H

#define XF_BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) XF_BANNED(strcpy)
#undef strcat
#define strcat(x, y) XF_BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) XF_BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) XF_BANNED(strncat)
#undef strtok
#define strtok(x, y) XF_BANNED(strtok)
#undef gets
#define gets(x) XF_BANNED(gets)

#undef sprintf
#undef vsprintf
#define sprintf(...) XF_BANNED(sprintf)
#define vsprintf(...) XF_BANNED(vsprintf)

#undef gmtime
#define gmtime(t) XF_BANNED(gmtime)
#undef localtime
#define localtime(t) XF_BANNED(localtime)
#undef ctime
#define ctime(t) XF_BANNED(ctime)
#undef asctime
#define asctime(t) XF_BANNED(asctime)

#endif
