/* service_signal - stop and reload requests to a pfcd service (see service_signal.h) */
#include <signal.h>
#include <stdlib.h>

#include "loader.h"
#include "pfcd_log.h"
#include "service_signal.h"

static volatile sig_atomic_t got_term, got_hup;

static void on_term(int sig)
{
    (void) sig;
    got_term = 1;
}

static void on_hup(int sig)
{
    (void) sig;
    got_hup = 1;
}

void service_signal_init(void)
{
    struct sigaction sa = { 0 };

    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_hup;
    sigaction(SIGHUP, &sa, NULL);
}

int service_stopping(void)
{
    return got_term;
}

struct image *service_reload(const char *program, const char *image_path)
{
    struct image *img;
    char *err = NULL;

    if (!got_hup)
	return NULL;
    got_hup = 0;
    if (image_open(image_path, &img, &err) != IMAGE_OK) {
	pfcd_log(program, "warning: reload refused, the old image keeps serving: %s", err);
	free(err);
	return NULL;
    }
    return img;
}
