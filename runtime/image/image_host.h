/*
 * image_host - a setting's value on the host that runs the image. A
 * setting flagged IMG_SETTING_HOST keeps its expanded value as pieces
 * (image.h, HOST): literal text, and the values Postfix computes on its
 * host when main.cf leaves them unset (myhostname, mydomain, mynetworks)
 * or that belong to the process (its name and id). Joining the pieces
 * takes no $name expander, only those values, computed here as Postfix
 * computes them (lib/hostinfo).
 */
#ifndef PFC_IMAGE_HOST_H
#define PFC_IMAGE_HOST_H

#include <stdint.h>

#include "loader.h"

/* The process's own values, and what was computed once. */
struct image_host {
    const char *process_name;	/* e.g. "smtpd" */
    long process_id;
    /*
     * The master.cf service the process runs as (index in SERV), whose
     * OVRD values mynetworks is computed from first; IMG_NONE (the
     * default): main.cf's view.
     */
    uint32_t service;
    char *mynetworks;		/* computed on first use */
};

/* image_host_init - for a process named process_name with process_id, main.cf's view */
void image_host_init(struct image_host *host, const char *process_name, long process_id);
void image_host_free(struct image_host *host);

/*
 * image_setting_value - s's expanded value on this host (s a record of
 * img's PARM or OVRD): its expanded string, or with IMG_SETTING_HOST its
 * pieces joined. A new string; NULL with *err (a new string) when
 * mynetworks cannot be computed from the image's inet_interfaces,
 * mynetworks_style and inet_protocols, as Postfix would refuse them.
 */
char *image_setting_value(const struct image *img, const struct img_setting *s,
			  struct image_host *host, char **err);

#endif
