-- The outbox entry an execution's final state owes its webhook: inserted by every transition that
-- makes an execution final, in the same statement, so it cannot be lost. Due at once.
CREATE OR REPLACE FUNCTION runledger_owe_completed_event(p_execution executions) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF p_execution.webhook_url IS NULL THEN
    RETURN;
  END IF;
  INSERT INTO events (id, key_id, execution_id, type, url, created_at, status, next_attempt_at)
    VALUES (runledger_new_id('msg_'), p_execution.key_id, p_execution.id, 'execution.completed', p_execution.webhook_url,
      p_execution.finished_at, 'pending', p_execution.finished_at)
    ON CONFLICT (execution_id) DO NOTHING;
END;
$$;
