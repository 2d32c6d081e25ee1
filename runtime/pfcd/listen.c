/* listen - the sockets of master.cf's inet smtpd services (see listen.h) */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hostinfo.h"
#include "listen.h"
#include "policy.h"
#include "xalloc.h"

/* bind_one - a listening socket on host:port (host NULL: every address) */
static int bind_one(const char *host, const char *port, int family, struct strbuf *err)
{
    struct addrinfo hints = { 0 }, *res = NULL;

    hints.ai_family = family;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
	/* A service name ("smtp", "submission") or a host name. */
	hints.ai_flags = AI_PASSIVE;
	rc = getaddrinfo(host, port, &hints, &res);
    }
    if (rc != 0) {
	sb_printf(err, "%s:%s: %s", host ? host : "*", port, gai_strerror(rc));
	return -1;
    }
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int on = 1;
    if (fd >= 0) {
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (res->ai_family == AF_INET6)
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
    }
    if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, 100) < 0) {
	sb_printf(err, "bind %s port %s: %s", host ? host : "*", port, strerror(errno));
	if (fd >= 0)
	    close(fd);
	fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

static void add(struct smtp_listener **out, size_t *n, const char *service, int fd)
{
    *out = xrealloc(*out, (*n + 1) * sizeof(**out));
    (*out)[*n].service = xstrdup(service);
    (*out)[*n].fd = fd;
    (*n)++;
}

int listen_services(const struct image *img, struct smtp_listener **out, size_t *n,
		    struct strbuf *err)
{
    struct policy main;

    *out = NULL;
    *n = 0;
    policy_open_main(&main, img);
    for (uint32_t i = 0; i < img->nservices; i++) {
	const struct img_service *sv = &img->services[i];
	const char *name = image_str(img, sv->name);
	const char *cmd = image_str(img, sv->command);
	if (strcmp(image_str(img, sv->type), "inet") != 0
	    || strncmp(cmd, "smtpd", 5) != 0 || (cmd[5] != 0 && cmd[5] != ' '))
	    continue;
	const char *colon = strrchr(name, ':');
	if (colon != NULL) {
	    /* host:port, [v6]:port */
	    char *host = xstrndup(name, (size_t) (colon - name));
	    char *h = host;
	    if (*h == '[') {
		h++;
		h[strcspn(h, "]")] = 0;
	    }
	    int fd = bind_one(*h && strcmp(h, "*") != 0 ? h : NULL, colon + 1, AF_UNSPEC, err);
	    free(host);
	    if (fd < 0)
		goto fail;
	    add(out, n, name, fd);
	    continue;
	}
	/* A bare port: every address of inet_interfaces. */
	const char *ifaces = policy_value(&main, "inet_interfaces");
	char *nets = NULL;
	if (strcmp(ifaces, "all") == 0) {
	    int fd = bind_one(NULL, name, AF_INET, err);
	    if (fd < 0)
		goto fail;
	    add(out, n, name, fd);
	    sb_reset(err);
	    if ((fd = bind_one("::", name, AF_INET6, err)) >= 0)
		add(out, n, name, fd);
	    sb_reset(err);
	    continue;
	}
	char *herr = NULL;
	nets = host_mynetworks(ifaces, "host", policy_value(&main, "inet_protocols"), &herr);
	if (nets == NULL) {
	    sb_printf(err, "inet_interfaces: %s", herr ? herr : ifaces);
	    free(herr);
	    goto fail;
	}
	char *cp = nets, *word;
	while (cp && (word = strsep(&cp, " ,\t")) != NULL) {
	    if (*word == 0)
		continue;
	    word[strcspn(word, "/")] = 0;
	    if (*word == '[') {
		word++;
		word[strcspn(word, "]")] = 0;
	    }
	    int fd = bind_one(word, name, AF_UNSPEC, err);
	    if (fd < 0) {
		free(nets);
		goto fail;
	    }
	    add(out, n, name, fd);
	}
	free(nets);
    }
    policy_close(&main);
    if (*n == 0) {
	sb_adds(err, "master.cf has no inet smtpd service");
	return -1;
    }
    return 0;
  fail:
    policy_close(&main);
    for (size_t i = 0; i < *n; i++) {
	close((*out)[i].fd);
	free((*out)[i].service);
    }
    free(*out);
    *out = NULL;
    *n = 0;
    return -1;
}

void listen_free(struct smtp_listener *l, size_t n)
{
    for (size_t i = 0; i < n; i++) {
	if (l[i].fd >= 0)
	    close(l[i].fd);
	free(l[i].service);
    }
    free(l);
}
