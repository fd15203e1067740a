/*
 * lag_int.h - what the lag_*.c files share and nothing else needs (the
 * public face is lag.h).
 */
#ifndef XF_LAG_INT_H
#define XF_LAG_INT_H

#include <jansson.h>

#include "xalloc.h"

/* Unix time in milliseconds. */
double lag_wall_ms(void);
/* Unix milliseconds as "2026-11-22T09:30:00.123Z", or JSON null for 0. */
json_t *lag_json_time(double wall_ms);

#endif
