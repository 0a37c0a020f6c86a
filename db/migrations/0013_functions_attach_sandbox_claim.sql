DROP FUNCTION IF EXISTS runledger_attach_sandbox(text, text);
--> statement-breakpoint
DROP FUNCTION IF EXISTS runledger_claim(text, timestamptz);
--> statement-breakpoint
-- A queued execution taken by its runner once a sandbox for it exists: `running` from now, on that
-- sandbox. Exactly one claim succeeds; it fails (nothing returned) for an execution no longer
-- queued (a cancel came first: the runner kills the sandbox without running any code). An
-- execution whose key was revoked meanwhile is canceled instead (settled at no cost, its webhook
-- owed), and nothing is returned, as for a claim that lost.
CREATE OR REPLACE FUNCTION runledger_claim(p_id text, p_now timestamptz, p_sandbox_id text) RETURNS SETOF executions
LANGUAGE plpgsql AS $$
DECLARE
  v_row executions;
BEGIN
  UPDATE executions e SET status = 'running', started_at = p_now, sandbox_id = p_sandbox_id
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
