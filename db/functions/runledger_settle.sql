-- Settling an execution's money: its reservation released, its cost added, and the day's rollup
-- (what reports read) counted, in one statement.
CREATE OR REPLACE FUNCTION runledger_settle(
  p_key_id text,
  p_period_start timestamptz,
  p_reserved bigint,
  p_cost bigint,
  p_created_at timestamptz,
  p_template text,
  p_language text,
  p_status text,
  p_sandbox_ms bigint
) RETURNS void
LANGUAGE sql AS $$
  WITH usage AS (
    UPDATE budget_usage
      SET reserved_micros = reserved_micros - p_reserved, spent_micros = spent_micros + p_cost
      WHERE key_id = p_key_id AND period_start = p_period_start
  )
  INSERT INTO cost_rollups (key_id, day, template, language, status, executions, sandbox_ms, cost_micros)
    VALUES (p_key_id, (p_created_at AT TIME ZONE 'UTC')::date, p_template, p_language, p_status, 1, p_sandbox_ms, p_cost)
    ON CONFLICT (key_id, day, template, language, status) DO UPDATE
      SET executions = cost_rollups.executions + 1,
          sandbox_ms = cost_rollups.sandbox_ms + excluded.sandbox_ms,
          cost_micros = cost_rollups.cost_micros + excluded.cost_micros;
$$;
