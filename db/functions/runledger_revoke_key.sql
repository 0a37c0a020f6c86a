-- A key revoked: it stops authenticating (the first revocation's time is kept), and its queued
-- executions are canceled, their reservations released and their webhooks owed, all in one
-- statement. A run already going finishes and is billed; nothing new of the key starts (see
-- runledger_claim). Returns the canceled executions.
CREATE OR REPLACE FUNCTION runledger_revoke_key(p_key_id text, p_now timestamptz) RETURNS SETOF executions
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE keys SET revoked_at = coalesce(revoked_at, p_now) WHERE id = p_key_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no such key' USING ERRCODE = 'RL404';
  END IF;
  RETURN QUERY SELECT * FROM runledger_end_queued(
    ARRAY(SELECT id FROM executions WHERE key_id = p_key_id AND status = 'queued'), 'canceled', p_now, NULL);
END;
$$;
