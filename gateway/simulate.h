/* simulate.h - `fairgate simulate`: recorded decisions replayed under another contract. */
#ifndef FAIRGATE_SIMULATE_H
#define FAIRGATE_SIMULATE_H

/*
 * `simulate --contract FILE [--since YYYY-MM-DD]`: re-decides every recorded
 * escalation decision of the file's contract id (decided on or after since,
 * Europe/Amsterdam) on the dossier as it was then, under the file's terms,
 * and prints the decisions that would change. Reads only; synchronous.
 * Returns a process exit code: 0 ok, 1 failure, 2 usage.
 */
int simulate_run(const char *conninfo, int argc, char **argv);

#endif
