-- A run's end, recorded and settled in one round trip: its final state, the reservation released,
-- the actual cost added (never more than was reserved) and counted in the day's rollup, and the
-- webhook it owes put in the outbox. Only an unsettled row matches, so settling twice is
-- impossible; a cancel that came first keeps its status. Returns the finished row, or nothing.
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
    settled_at = v_finished_at
  WHERE id = p_id AND settled_at IS NULL AND status IN ('running', 'canceled')
  RETURNING * INTO v_row;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  PERFORM runledger_settle(v_row);
  PERFORM runledger_owe_completed_event(v_row);
  RETURN NEXT v_row;
END;
$$;
