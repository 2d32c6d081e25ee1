/*
 * service_signal - what pfcd's service processes (the SMTP side, pickup,
 * the queue manager) share about signals from the master: SIGTERM and
 * SIGINT ask the service to stop, SIGHUP to reload the image. The
 * handlers only set flags; each service's loop looks at them.
 */
#ifndef PFC_SERVICE_SIGNAL_H
#define PFC_SERVICE_SIGNAL_H

struct image;

/* service_signal_init - install the SIGTERM, SIGINT and SIGHUP handlers */
void service_signal_init(void);

/* service_stopping - whether SIGTERM or SIGINT came */
int service_stopping(void);

/*
 * service_reload - when a SIGHUP came since the last call: the image
 * image_path holds now, verified, or NULL (also when it is refused:
 * program logs why and the old image keeps serving).
 */
struct image *service_reload(const char *program, const char *image_path);

#endif
