-- A queued execution handed to its runner: `running` from now. Exactly one claim succeeds. An
-- execution whose key was revoked meanwhile is canceled instead (settled at no cost, its webhook
-- owed), and nothing is returned, as for a claim that lost.
CREATE OR REPLACE FUNCTION runledger_claim(p_id text, p_now timestamptz) RETURNS SETOF executions
LANGUAGE plpgsql AS $$
DECLARE
  v_row executions;
BEGIN
  UPDATE executions e SET status = 'running', started_at = p_now
  FROM keys k
  WHERE e.id = p_id AND e.status = 'queued' AND k.id = e.key_id AND k.revoked_at IS NULL
  RETURNING e.* INTO v_row;
  IF FOUND THEN
    RETURN NEXT v_row;
    RETURN;
  END IF;
  PERFORM runledger_end_queued(ARRAY[p_id], 'canceled', p_now, NULL) FROM keys k, executions e
    WHERE e.id = p_id AND e.status = 'queued' AND k.id = e.key_id AND k.revoked_at IS NOT NULL;
END;
$$;
