/*
 * runtime_only - what pfcd will link: runtime/ and lib/ and nothing else.
 * The build links this program with every object of those two libraries
 * (--whole-archive) and without grammar/, maps/, GDBM, flex or bison, so
 * a runtime file that calls into the parser side breaks the build;
 * runtime-links.sh then checks the symbols it holds. Run, it verifies the
 * image named on its command line, as pfcd will at start.
 */
#include <stdio.h>
#include <stdlib.h>

#include "loader.h"

int main(int argc, char **argv)
{
    struct image *img;
    char *err;

    if (argc != 2) {
	fprintf(stderr, "usage: runtime_only IMAGE\n");
	return 2;
    }
    if (image_open(argv[1], &img, &err) != IMAGE_OK) {
	fprintf(stderr, "%s\n", err);
	free(err);
	return 1;
    }
    printf("%s: ok\n", argv[1]);
    image_close(img);
    return 0;
}
