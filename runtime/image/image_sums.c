/*
 * image_sums - the checksums of an image, written: the block checksums
 * in SUMS, the header's sums_checksum and its own checksum (image.h).
 * pfc build calls these once the bytes are final; tests call them after
 * damaging an image on purpose, so that the verifier's deeper checks are
 * what refuses it. Every offset is checked against the buffer first:
 * a test may hand over anything.
 */
#include <string.h>

#include "image.h"
#include "loader.h"

#define HEADER_SIZE ((uint64_t) sizeof(struct img_header))

/*
 * layout - the header's file_size (at most size), the end of the section
 * table and SUMS's entry; 0 when the buffer cannot hold them
 */
static int layout(const unsigned char *data, size_t size, uint64_t *end, uint64_t *body,
		  struct img_section *sums)
{
    struct img_header h;

    if (size < HEADER_SIZE)
	return 0;
    memcpy(&h, data, sizeof(h));
    *end = h.file_size < size ? h.file_size : size;
    if (*end < HEADER_SIZE
	|| h.section_count > (*end - HEADER_SIZE) / sizeof(struct img_section))
	return 0;
    *body = HEADER_SIZE + (uint64_t) h.section_count * sizeof(struct img_section);
    memset(sums, 0, sizeof(*sums));
    for (uint32_t i = 0; i < h.section_count; i++) {
	struct img_section s;
	memcpy(&s, data + HEADER_SIZE + (uint64_t) i * sizeof(s), sizeof(s));
	if (s.tag == IMG_SEC_SUMS)
	    *sums = s;
    }
    return sums->tag == IMG_SEC_SUMS && sums->offset >= *body && sums->offset <= *end
	&& sums->length <= *end - sums->offset;
}

void image_sum_body(void *image, size_t size)
{
    unsigned char *data = image;
    uint64_t end, body;
    struct img_section sums;

    if (!layout(data, size, &end, &body, &sums))
	return;
    uint64_t n = sums.length / sizeof(uint64_t);
    for (uint64_t i = 0; i < n; i++) {
	uint64_t from = body + i * IMG_BLOCK_SIZE, sum;
	if (from >= sums.offset)
	    break;
	uint64_t len = sums.offset - from < IMG_BLOCK_SIZE ? sums.offset - from : IMG_BLOCK_SIZE;
	sum = img_xxh64(data + from, (size_t) len);
	memcpy(data + sums.offset + i * sizeof(sum), &sum, sizeof(sum));
    }
    uint64_t sum = img_xxh64(data + sums.offset, (size_t) sums.length);
    memcpy(data + offsetof(struct img_header, sums_checksum), &sum, sizeof(sum));
}

void image_sum_header(void *image, size_t size)
{
    unsigned char *data = image;
    struct img_header h;

    if (size < HEADER_SIZE)
	return;
    memcpy(&h, data, sizeof(h));
    uint64_t table = HEADER_SIZE + (uint64_t) h.section_count * sizeof(struct img_section);
    if (table > size)
	table = size;
    uint64_t sum = img_xxh64(data + IMG_CHECKSUM_FROM, (size_t) (table - IMG_CHECKSUM_FROM));
    memcpy(data + offsetof(struct img_header, checksum), &sum, sizeof(sum));
}

int image_sums_match(const void *image, size_t size)
{
    const unsigned char *data = image;
    uint64_t end, body, sum;
    struct img_section sums;
    struct img_header h;

    if (!layout(data, size, &end, &body, &sums))
	return 0;
    memcpy(&h, data, sizeof(h));
    if (img_xxh64(data + IMG_CHECKSUM_FROM, (size_t) (body - IMG_CHECKSUM_FROM)) != h.checksum
	|| img_xxh64(data + sums.offset, (size_t) sums.length) != h.sums_checksum)
	return 0;
    for (uint64_t i = 0, from = body; from < sums.offset; i++, from += IMG_BLOCK_SIZE) {
	uint64_t len = sums.offset - from < IMG_BLOCK_SIZE ? sums.offset - from : IMG_BLOCK_SIZE;
	if (i >= sums.length / sizeof(sum))
	    return 0;
	memcpy(&sum, data + sums.offset + i * sizeof(sum), sizeof(sum));
	if (img_xxh64(data + from, (size_t) len) != sum)
	    return 0;
    }
    return 1;
}
