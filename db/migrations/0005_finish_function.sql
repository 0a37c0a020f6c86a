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
--> statement-breakpoint
-- A run's end recorded and settled in one round trip. Only an unsettled row matches, so settling
-- twice is impossible; a cancel that came first keeps its status; the cost is never more than the
-- reservation; a pending webhook becomes due. Returns the finished row, or nothing.
CREATE OR REPLACE FUNCTION runledger_finish(p_id text, p_outcome jsonb) RETURNS SETOF executions
LANGUAGE plpgsql AS $$
DECLARE
  v_row executions;
  v_finished_at timestamptz := (p_outcome->>'finished_at')::timestamptz;
BEGIN
  UPDATE executions SET
    status = CASE WHEN status = 'canceled' THEN 'canceled' ELSE p_outcome->>'status' END,
    finished_at = coalesce(finished_at, v_finished_at),
    duration_ms = (p_outcome->>'duration_ms')::integer,
    sandbox_ms = (p_outcome->>'sandbox_ms')::integer,
    cost_micros = least((p_outcome->>'cost_micros')::bigint, reserved_micros),
    result = nullif(p_outcome->'result', 'null'::jsonb),
    settled_at = v_finished_at,
    webhook_next_attempt_at = CASE WHEN webhook_status = 'pending' THEN v_finished_at ELSE webhook_next_attempt_at END
  WHERE id = p_id AND settled_at IS NULL AND status IN ('running', 'canceled')
  RETURNING * INTO v_row;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  PERFORM runledger_settle(v_row.key_id, v_row.period_start, v_row.reserved_micros, coalesce(v_row.cost_micros, 0),
    v_row.created_at, v_row.template, v_row.language, v_row.status, coalesce(v_row.sandbox_ms, 0));
  RETURN NEXT v_row;
END;
$$;
