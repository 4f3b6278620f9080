/* migrate.h - applies sql/NNN_name.sql in order, each once, each in a transaction. */
#ifndef FAIRGATE_MIGRATE_H
#define FAIRGATE_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Start-up / command line only (synchronous libpq). Applies every file
 * DIR/NNN_*.sql not yet recorded in table schema_migrations, in NNN order,
 * each in its own transaction together with its record. On failure the
 * database is left as it was before that file and err names the file and
 * line ("sql/003_x.sql:12: syntax error at ..."). *applied counts the files
 * applied now (0 when up to date). Concurrent migrators are serialized with
 * an advisory lock.
 */
bool migrate_run(const char *conninfo, const char *dir, int *applied, char *err, size_t errlen);

#endif
