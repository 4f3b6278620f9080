-- fairgate_expect_versions (007) runs its statement through PL/pgSQL, whose plan cache planned
-- it anew for about half of the calls (a custom plan for the arrays given: 908 plans for 1,944
-- calls, 217 us each, in the profile of ops/bench with pg_stat_statements.track_planning). The
-- generic plan is the right one for any batch (an index probe per dossier), so the function
-- keeps it.
ALTER FUNCTION fairgate_expect_versions(text[], bigint[]) SET plan_cache_mode = force_generic_plan;
