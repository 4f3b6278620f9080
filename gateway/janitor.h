/* janitor.h - timers for deadlines: dossiers past their maximum duration. */
#ifndef FAIRGATE_JANITOR_H
#define FAIRGATE_JANITOR_H

struct server;
struct janitor;

/*
 * Every janitor_interval_ms, finds dossiers whose last amicable day with the
 * partner (deadline) has passed and that are not yet flagged, through the
 * partial index on the deadline (never a scan of all dossiers); flags each
 * for return to the creditor, notifies creditor and partner, and records it
 * in the audit chain. Several gateway processes may run it: the flag is set
 * only where it is still unset.
 */
struct janitor *janitor_create(struct server *srv);
void janitor_free(struct janitor *j);

#endif
