-- Every webhook owed or already given moves to the outbox, keeping its webhook-id, its state, its
-- attempt counts and when it is due. A final execution whose webhook was pending without a due time
-- (a cancel whose caller died before marking it) becomes due at its finish: nothing stays lost.
INSERT INTO events (id, key_id, execution_id, type, url, data, created_at, status, attempts, attempt_base, next_attempt_at)
SELECT webhook_message_id, key_id, id, 'execution.completed', webhook_url, NULL, coalesce(finished_at, created_at),
       coalesce(webhook_status, 'pending'), webhook_attempts, webhook_attempt_base,
       CASE WHEN coalesce(webhook_status, 'pending') = 'pending' THEN coalesce(webhook_next_attempt_at, finished_at, created_at) END
FROM executions
WHERE webhook_url IS NOT NULL AND webhook_message_id IS NOT NULL
  AND status IN ('succeeded', 'failed', 'timed_out', 'canceled', 'error');
--> statement-breakpoint
UPDATE webhook_deliveries d SET event_id = e.webhook_message_id FROM executions e WHERE e.id = d.execution_id;
--> statement-breakpoint
DELETE FROM webhook_deliveries WHERE event_id IS NULL;
