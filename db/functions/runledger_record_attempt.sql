-- An attempt's outcome: logged, and the event `delivered`, `failed`, or due again at
-- `p_next_attempt_at`, in one statement.
CREATE OR REPLACE FUNCTION runledger_record_attempt(
  p_event_id text,
  p_attempt integer,
  p_at timestamptz,
  p_status_code integer,
  p_error text,
  p_duration_ms integer,
  p_status text,
  p_next_attempt_at timestamptz
) RETURNS void
LANGUAGE sql AS $$
  WITH logged AS (
    INSERT INTO webhook_deliveries (event_id, attempt, at, status_code, error, duration_ms)
      VALUES (p_event_id, p_attempt, p_at, p_status_code, p_error, p_duration_ms)
  )
  UPDATE events SET status = p_status, next_attempt_at = CASE WHEN p_status = 'pending' THEN p_next_attempt_at END
    WHERE id = p_event_id AND attempts = p_attempt;
$$;
