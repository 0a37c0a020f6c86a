-- One delivery attempt of a due event claimed: its number counted, and a lease (its next attempt
-- time pushed past the attempt's timeout) that keeps the sweep and any other consumer away while
-- it is in flight. Nothing is returned for an event not pending or not due. Returns the event as
-- JSON keyed by column, with the key's webhook secret, in the same round trip.
CREATE OR REPLACE FUNCTION runledger_claim_attempt(p_event_id text, p_now timestamptz, p_lease_until timestamptz)
RETURNS SETOF jsonb
LANGUAGE sql AS $$
  UPDATE events e SET attempts = e.attempts + 1, next_attempt_at = p_lease_until
  FROM keys k
  WHERE e.id = p_event_id AND e.status = 'pending' AND k.id = e.key_id
    AND (e.next_attempt_at IS NULL OR e.next_attempt_at <= p_now + interval '1 second')
  RETURNING to_jsonb(e) || jsonb_build_object('webhook_secret_ciphertext', k.webhook_secret_ciphertext);
$$;
