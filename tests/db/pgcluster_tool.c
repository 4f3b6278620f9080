/* pgcluster_tool.c - start or stop a private PostgreSQL with pgcluster, for development and
 * tests. */
#include "pgcluster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Usage: pgcluster_tool start DIR PORT   (prints the connection string)
 *        pgcluster_tool stop DIR
 */
int main(int argc, char **argv)
{
	char conninfo[4096], err[4096];

	if (argc == 4 && strcmp(argv[1], "start") == 0) {
		if (!pgcluster_start(argv[2], atoi(argv[3]), conninfo, sizeof(conninfo), err,
		                     sizeof(err))) {
			fprintf(stderr, "pgcluster_tool: %s\n", err);
			return 1;
		}
		printf("%s\n", conninfo);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "stop") == 0) {
		if (!pgcluster_stop(argv[2], err, sizeof(err))) {
			fprintf(stderr, "pgcluster_tool: %s\n", err);
			return 1;
		}
		return 0;
	}
	fprintf(stderr, "usage: pgcluster_tool start DIR PORT | stop DIR\n");
	return 2;
}
