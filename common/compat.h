/*
 * compat.h - what every C file of the tree sees first.
 *
 * The Makefile passes it to the compiler with -include, so no file can
 * forget it: the system headers that declare the calls banned.h refuses
 * are read here, once (their include guards make later #includes of them
 * empty), and banned.h comes after them.
 */
#ifndef XF_COMPAT_H
#define XF_COMPAT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "banned.h"

#endif
