/*
 * image_write - the image compiler behind pfc build (and pfc diff of two
 * configuration directories): everything pfc check reads, compiled into
 * the bytes runtime/image/image.h defines.
 */
#ifndef PFC_IMAGE_WRITE_H
#define PFC_IMAGE_WRITE_H

struct strbuf;

/*
 * image_compile - compile the configuration in config_dir (as -c names
 * it; --root applies) into out. pfc check runs first: when it finds an
 * error, its findings are printed to stderr (pfc check's text format)
 * and nothing is compiled. Returns 0; 1 when check found errors, or when
 * a value is one the image cannot hold (a comparison of a value the host
 * decides: reported in the linter's "file:line:col: error:" shape); 2
 * on an I/O or internal failure (message already printed).
 */
int image_compile(const char *config_dir, struct strbuf *out);

/*
 * image_compile_body - image_compile() but its last step: every byte
 * after the header is final (the block checksums too), the header lacks
 * its content id and checksum; image_seal(out) puts them in, reading the
 * rest. pfc build writes the body to its file while the image is sealed.
 */
int image_compile_body(const char *config_dir, struct strbuf *out);
void image_seal(struct strbuf *out);

#endif
