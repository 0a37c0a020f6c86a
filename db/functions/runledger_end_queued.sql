-- Queued executions that will never run, ended as `canceled` or `error` in one statement each: they
-- cost nothing, their reservation is released and counted, and the webhook each owes goes in the
-- outbox. Executions no longer queued are left alone. Returns the ended rows.
CREATE OR REPLACE FUNCTION runledger_end_queued(p_ids text[], p_status text, p_now timestamptz, p_reason text)
RETURNS SETOF executions
LANGUAGE plpgsql AS $$
DECLARE
  v_row executions;
BEGIN
  FOR v_row IN
    UPDATE executions SET
      status = p_status,
      finished_at = p_now,
      cost_micros = 0,
      settled_at = p_now,
      result = CASE WHEN p_reason IS NULL THEN NULL ELSE jsonb_build_object(
        'stdout', '', 'stderr', '', 'text', NULL, 'results', '[]'::jsonb,
        'error', jsonb_build_object('name', 'PlatformError', 'value', p_reason, 'traceback', ''),
        'exit_code', NULL, 'truncated', false) END
    WHERE id = ANY (p_ids) AND status = 'queued'
    RETURNING *
  LOOP
    PERFORM runledger_settle(v_row);
    PERFORM runledger_owe_completed_event(v_row);
    RETURN NEXT v_row;
  END LOOP;
END;
$$;
