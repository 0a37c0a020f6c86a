-- A caller's cancel. A queued execution ends at once (no cost, webhook owed); a running one is
-- marked `canceled` and keeps its sandbox until its runner (or the reaper) kills it and settles
-- what ran. Raises RL404 for another key's or an unknown id, RL409 (detail: the status) for a
-- finished one. Returns the row as it is now.
CREATE OR REPLACE FUNCTION runledger_cancel(p_key_id text, p_id text, p_now timestamptz) RETURNS SETOF executions
LANGUAGE plpgsql AS $$
DECLARE
  v_status text;
  v_row executions;
BEGIN
  SELECT status INTO v_status FROM executions WHERE id = p_id AND key_id = p_key_id FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no such execution' USING ERRCODE = 'RL404';
  END IF;
  IF v_status = 'queued' THEN
    RETURN QUERY SELECT * FROM runledger_end_queued(ARRAY[p_id], 'canceled', p_now, NULL);
    RETURN;
  END IF;
  IF v_status <> 'running' THEN
    RAISE EXCEPTION 'already finished' USING ERRCODE = 'RL409', DETAIL = v_status;
  END IF;
  UPDATE executions SET status = 'canceled', finished_at = p_now WHERE id = p_id RETURNING * INTO v_row;
  RETURN NEXT v_row;
END;
$$;
