/* qr.c - see qr.h. */
#include "qr.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>
#include <qrencode.h>

#include "querycode.h"

void qr_page_url(const char *base, const char *key, const char *case_id, struct sbuf *out)
{
	char code[QUERY_CODE_LEN + 1];
	size_t n = strlen(base);

	while (n && base[n - 1] == '/')
		n--;
	query_code(key, case_id, code);
	sbuf_add(out, base, n);
	sbuf_addf(out, "/c/%s?code=%s", case_id, code);
}

static QRcode *encode(const char *text, struct sbuf *err)
{
	QRcode *qr = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);

	if (!qr)
		sbuf_addf(err, "cannot encode a QR code of %zu bytes: %s", strlen(text),
			  strerror(errno));
	return qr;
}

/* Whether module (x, y) of qr, counted from the quiet zone's corner, is dark. */
static int dark(const QRcode *qr, int x, int y)
{
	x -= QR_MARGIN, y -= QR_MARGIN;
	if (x < 0 || y < 0 || x >= qr->width || y >= qr->width)
		return 0;
	return qr->data[y * qr->width + x] & 1;
}

static void png_to_sbuf(png_structp png, png_bytep data, png_size_t len)
{
	sbuf_add(png_get_io_ptr(png), data, len);
}

static void png_no_flush(png_structp png)
{
	(void)png;
}

/* Writes qr's rows, 1 bit a pixel (0 black), QR_SCALE pixels a module. */
static void png_rows(png_structp png, const QRcode *qr, unsigned char *row, int side)
{
	for (int y = 0; y < side; y++) {
		memset(row, 0xff, (size_t)(side + 7) / 8);
		for (int x = 0; x < side; x++)
			if (dark(qr, x / QR_SCALE, y / QR_SCALE))
				row[x / 8] &= (unsigned char)~(0x80 >> (x % 8));
		png_write_row(png, row);
	}
}

/* qr as a grey PNG into out (libpng reports failure by longjmp). */
static int png_write_qr(const QRcode *qr, struct sbuf *out, unsigned char *row)
{
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png ? png_create_info_struct(png) : NULL;
	int side = (qr->width + 2 * QR_MARGIN) * QR_SCALE;

	if (!info || setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		return -1;
	}
	png_set_write_fn(png, out, png_to_sbuf, png_no_flush);
	png_set_IHDR(png, info, (png_uint_32)side, (png_uint_32)side, 1, PNG_COLOR_TYPE_GRAY,
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	png_rows(png, qr, row, side);
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	return 0;
}

int qr_png(const char *text, struct sbuf *out, struct sbuf *err)
{
	QRcode *qr = encode(text, err);
	unsigned char *row;
	int rc;

	if (!qr)
		return -1;
	row = calloc((size_t)((qr->width + 2 * QR_MARGIN) * QR_SCALE + 7) / 8, 1);
	rc = row ? png_write_qr(qr, out, row) : -1;
	if (rc)
		sbuf_adds(err, "cannot write the PNG");
	free(row);
	QRcode_free(qr);
	return rc;
}

int qr_svg(const char *text, struct sbuf *out, struct sbuf *err)
{
	QRcode *qr = encode(text, err);
	int side;

	if (!qr)
		return -1;
	side = qr->width + 2 * QR_MARGIN;
	sbuf_addf(out,
		  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		  "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\""
		  " height=\"%d\" shape-rendering=\"crispEdges\">\n"
		  "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n<path fill=\"#000\" d=\"",
		  side, side, side * QR_SCALE, side * QR_SCALE, side, side);
	for (int y = 0; y < side; y++)
		for (int x = 0; x < side; x++)
			if (dark(qr, x, y))
				sbuf_addf(out, "M%d %dh1v1h-1z", x, y);
	sbuf_adds(out, "\"/>\n</svg>\n");
	QRcode_free(qr);
	return 0;
}
