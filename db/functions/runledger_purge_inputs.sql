-- The code, env and files of executions that finished before `p_before` erased, a bounded batch at
-- a time; every figure of the ledger stays. Returns how many were erased.
CREATE OR REPLACE FUNCTION runledger_purge_inputs(p_before timestamptz, p_now timestamptz, p_limit integer) RETURNS integer
LANGUAGE sql AS $$
  WITH purged AS (
    UPDATE executions SET code = '', env = '{}'::jsonb, files = '[]'::jsonb, inputs_ciphertext = NULL, inputs_purged_at = p_now
    WHERE id IN (
      SELECT id FROM executions WHERE inputs_purged_at IS NULL AND finished_at < p_before LIMIT p_limit
    )
    RETURNING 1
  )
  SELECT count(*)::integer FROM purged;
$$;
