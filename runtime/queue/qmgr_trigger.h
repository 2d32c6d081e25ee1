/*
 * qmgr_trigger - how other programs wake pfcd's queue manager: a FIFO,
 * queue_directory/public/qmgr, as Postfix's public/qmgr. A writer sends
 * one-letter requests (Postfix's: 'A' scan every deferred message,
 * whatever its retry time; 'D' the deferred queue; 'I' incoming; 'F'
 * forget dead hosts; 'W' wake up); "pfc queue flush" sends "FADI", as
 * postqueue -f does. Any user may write (mode 0622, as
 * authorized_flush_users' default, anyone); no request does more than
 * make the queue manager look at its queue sooner.
 */
#ifndef PFC_QMGR_TRIGGER_H
#define PFC_QMGR_TRIGGER_H

#define QMGR_TRIGGER_DIR	"public"
#define QMGR_TRIGGER_FIFO	"public/qmgr"

/* Requests, one byte each (Postfix's qmgr.h). */
#define QMGR_REQ_SCAN_ALL	'A'
#define QMGR_REQ_SCAN_DEFERRED	'D'
#define QMGR_REQ_SCAN_INCOMING	'I'
#define QMGR_REQ_FLUSH_DEAD	'F'
#define QMGR_REQ_WAKEUP		'W'

/*
 * qmgr_trigger_open - the queue manager's end: create the FIFO under
 * queue_dir if needed and open it for reading (non-blocking, never at
 * end of file). Returns the descriptor, or -1 (the queue manager then
 * runs without it: it still scans on its own schedule).
 */
int qmgr_trigger_open(const char *queue_dir);

/*
 * qmgr_trigger_read - drain what writers sent; returns 1 when a request
 * asked for every deferred message now ('A'), else 0.
 */
int qmgr_trigger_read(int fd);

/*
 * qmgr_trigger_send - a writer's end: send requests. Returns 0, or -1
 * with errno (ENXIO or ENOENT: no queue manager is listening).
 */
int qmgr_trigger_send(const char *queue_dir, const char *requests);

#endif
