-- One more delivery of an event (same webhook-id): pending again, due now, its retry schedule
-- started afresh while attempt numbers keep counting. Returns the event.
CREATE OR REPLACE FUNCTION runledger_redeliver(p_event_id text, p_now timestamptz) RETURNS SETOF events
LANGUAGE sql AS $$
  UPDATE events SET status = 'pending', next_attempt_at = p_now, attempt_base = attempts WHERE id = p_event_id RETURNING *;
$$;
