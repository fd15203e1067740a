/*
 * qr.h - the QR code of a case's status page (xf-public and xfctl case
 * qr): the address <XF_PUBLIC_URL>/c/<case id>?code=<query code>, encoded
 * with libqrencode (error correction M), as PNG (libpng, QR_SCALE pixels a
 * module) or SVG, each with the 4-module quiet zone.
 */
#ifndef XF_PUBLIC_QR_H
#define XF_PUBLIC_QR_H

#include "sbuf.h"

#define QR_SCALE 8
#define QR_MARGIN 4

/* Appends the page address of case_id under key to out. */
void qr_page_url(const char *base, const char *key, const char *case_id, struct sbuf *out);
/* Appends text's QR code as PNG to out; 0, or -1 with err. */
int qr_png(const char *text, struct sbuf *out, struct sbuf *err);
/* Appends text's QR code as an SVG document to out; 0, or -1 with err. */
int qr_svg(const char *text, struct sbuf *out, struct sbuf *err);

#endif
