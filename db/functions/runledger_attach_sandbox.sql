-- The sandbox running an execution, noted as soon as it exists, so a cancel can kill it and the
-- leak sweep can tell it from a stray. False when the execution is no longer running (a cancel
-- came first): the runner then kills the sandbox without running any code.
CREATE OR REPLACE FUNCTION runledger_attach_sandbox(p_id text, p_sandbox_id text) RETURNS boolean
LANGUAGE sql AS $$
  WITH attached AS (
    UPDATE executions SET sandbox_id = p_sandbox_id WHERE id = p_id AND status = 'running' RETURNING id
  )
  SELECT count(*) > 0 FROM attached;
$$;
