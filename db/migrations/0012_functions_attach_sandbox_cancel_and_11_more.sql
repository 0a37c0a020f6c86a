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
--> statement-breakpoint
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
--> statement-breakpoint
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
--> statement-breakpoint
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
--> statement-breakpoint
-- Queued executions that will never run, ended as `canceled` or `error` in one statement each: they
-- cost nothing, their reservation is released and counted, and the webhook each owes goes in the
-- outbox. Executions no longer queued are left alone. Returns the ended rows.
CREATE OR REPLACE FUNCTION runledger_end_queued(p_ids text[], p_status text, p_now timestamptz, p_reason text)
RETURNS SETOF executions
LANGUAGE plpgsql AS $$
DECLARE
  v_row executions;
BEGIN
  FOR v_row IN
    UPDATE executions SET
      status = p_status,
      finished_at = p_now,
      cost_micros = 0,
      settled_at = p_now,
      result = CASE WHEN p_reason IS NULL THEN NULL ELSE jsonb_build_object(
        'stdout', '', 'stderr', '', 'text', NULL, 'results', '[]'::jsonb,
        'error', jsonb_build_object('name', 'PlatformError', 'value', p_reason, 'traceback', ''),
        'exit_code', NULL, 'truncated', false) END
    WHERE id = ANY (p_ids) AND status = 'queued'
    RETURNING *
  LOOP
    PERFORM runledger_settle(v_row.key_id, v_row.period_start, v_row.reserved_micros, 0, v_row.created_at, v_row.template,
      v_row.language, v_row.status, 0);
    PERFORM runledger_owe_completed_event(v_row);
    RETURN NEXT v_row;
  END LOOP;
END;
$$;
--> statement-breakpoint
-- A run's end, recorded and settled in one round trip: its final state, the reservation released,
-- the actual cost added (never more than was reserved) and counted in the day's rollup, and the
-- webhook it owes put in the outbox. Only an unsettled row matches, so settling twice is
-- impossible; a cancel that came first keeps its status. Returns the finished row, or nothing.
CREATE OR REPLACE FUNCTION runledger_finish(p_id text, p_outcome jsonb) RETURNS SETOF executions
LANGUAGE plpgsql AS $$
DECLARE
  v_row executions;
  v_finished_at timestamptz := (p_outcome->>'finished_at')::timestamptz;
BEGIN
  UPDATE executions SET
    status = CASE WHEN status = 'canceled' THEN 'canceled' ELSE p_outcome->>'status' END,
    finished_at = coalesce(finished_at, v_finished_at),
    duration_ms = (p_outcome->>'duration_ms')::integer,
    sandbox_ms = (p_outcome->>'sandbox_ms')::integer,
    cost_micros = least((p_outcome->>'cost_micros')::bigint, reserved_micros),
    result = nullif(p_outcome->'result', 'null'::jsonb),
    settled_at = v_finished_at
  WHERE id = p_id AND settled_at IS NULL AND status IN ('running', 'canceled')
  RETURNING * INTO v_row;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  PERFORM runledger_settle(v_row.key_id, v_row.period_start, v_row.reserved_micros, coalesce(v_row.cost_micros, 0),
    v_row.created_at, v_row.template, v_row.language, v_row.status, coalesce(v_row.sandbox_ms, 0));
  PERFORM runledger_owe_completed_event(v_row);
  RETURN NEXT v_row;
END;
$$;
--> statement-breakpoint
-- An id as the Worker makes them: a prefix and 24 characters of lowercase Crockford base32
-- (0-9, a-z without i, l, o, u), from random bytes (each byte's low five bits).
CREATE OR REPLACE FUNCTION runledger_new_id(p_prefix text) RETURNS text
LANGUAGE sql VOLATILE AS $$
  SELECT p_prefix || string_agg(substr('0123456789abcdefghjkmnpqrstvwxyz', (get_byte(bytes, i) & 31) + 1, 1), '' ORDER BY i)
  FROM (SELECT decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex') AS bytes) AS random,
       generate_series(0, 23) AS i;
$$;
--> statement-breakpoint
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
--> statement-breakpoint
-- The code, env and files of executions that finished before `p_before` erased, a bounded batch at
-- a time; every figure of the ledger stays. Returns how many were erased.
CREATE OR REPLACE FUNCTION runledger_purge_inputs(p_before timestamptz, p_now timestamptz, p_limit integer) RETURNS integer
LANGUAGE sql AS $$
  WITH purged AS (
    UPDATE executions SET code = '', env = '{}'::jsonb, files = '[]'::jsonb, inputs_ciphertext = NULL, inputs_purged_at = p_now
    WHERE id IN (
      SELECT id FROM executions WHERE inputs_purged_at IS NULL AND finished_at < p_before LIMIT p_limit
    )
    RETURNING 1
  )
  SELECT count(*)::integer FROM purged;
$$;
--> statement-breakpoint
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
--> statement-breakpoint
-- One more delivery of an event (same webhook-id): pending again, due now, its retry schedule
-- started afresh while attempt numbers keep counting. Returns the event.
CREATE OR REPLACE FUNCTION runledger_redeliver(p_event_id text, p_now timestamptz) RETURNS SETOF events
LANGUAGE sql AS $$
  UPDATE events SET status = 'pending', next_attempt_at = p_now, attempt_base = attempts WHERE id = p_event_id RETURNING *;
$$;
--> statement-breakpoint
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
--> statement-breakpoint
-- A submit decided in one round trip: under a lock on the key's row (so that one key's submits
-- are decided one at a time), answer a repeated idempotency key, reserve the worst-case cost with
-- one conditional statement, check the concurrency cap, and insert. Each refusal raises, which
-- undoes everything the call did; its SQLSTATE (class RL) tells the Worker which one it was.
-- Returns the execution's id: the new one, or the earlier one a repeated idempotency key names.
CREATE OR REPLACE FUNCTION runledger_submit(
  p_execution jsonb,
  p_budget_period text,
  p_idempotency_key text,
  p_request_hash text,
  p_idempotency_expires_at timestamptz
) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  v_key_id text := p_execution->>'key_id';
  v_now timestamptz := (p_execution->>'created_at')::timestamptz;
  v_period timestamptz := (p_execution->>'period_start')::timestamptz;
  v_reserve bigint := (p_execution->>'reserved_micros')::bigint;
  v_key record;
  v_prior record;
  v_usage record;
  v_active integer;
BEGIN
  -- "No key update": settlements insert rows that reference this key and take a key-share lock
  -- on it while holding the budget row; a plain "for update" here deadlocks with them.
  SELECT revoked_at, budget_micros, budget_period, max_concurrency INTO v_key
    FROM keys WHERE id = v_key_id FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'unknown key' USING ERRCODE = 'RL401';
  END IF;
  IF v_key.revoked_at IS NOT NULL THEN
    RAISE EXCEPTION 'this key has been revoked' USING ERRCODE = 'RL403';
  END IF;
  IF v_key.budget_period <> p_budget_period THEN
    -- The key's period changed since the request read it: the caller may simply try again.
    RAISE EXCEPTION 'the key changed during the request' USING ERRCODE = '40001';
  END IF;

  IF p_idempotency_key IS NOT NULL THEN
    SELECT request_hash, execution_id, expires_at INTO v_prior
      FROM idempotency_keys WHERE key_id = v_key_id AND idempotency_key = p_idempotency_key;
    IF FOUND AND v_prior.expires_at > v_now THEN
      IF v_prior.request_hash <> p_request_hash THEN
        RAISE EXCEPTION 'idempotency key reused with a different request' USING ERRCODE = 'RL409';
      END IF;
      RETURN v_prior.execution_id;
    END IF;
  END IF;

  INSERT INTO budget_usage AS u (key_id, period_start, spent_micros, reserved_micros)
    SELECT v_key_id, v_period, 0, v_reserve WHERE v_reserve <= v_key.budget_micros
    ON CONFLICT (key_id, period_start) DO UPDATE
      SET reserved_micros = u.reserved_micros + excluded.reserved_micros
      WHERE u.spent_micros + u.reserved_micros + excluded.reserved_micros <= v_key.budget_micros;
  IF NOT FOUND THEN
    SELECT spent_micros, reserved_micros INTO v_usage FROM budget_usage WHERE key_id = v_key_id AND period_start = v_period;
    RAISE EXCEPTION 'budget exceeded' USING ERRCODE = 'RL402', DETAIL = json_build_object(
      'limit', v_key.budget_micros::text,
      'spent', coalesce(v_usage.spent_micros, 0)::text,
      'reserved', coalesce(v_usage.reserved_micros, 0)::text
    )::text;
  END IF;

  SELECT count(*) INTO v_active FROM executions WHERE key_id = v_key_id AND status IN ('queued', 'running');
  IF v_active >= v_key.max_concurrency THEN
    RAISE EXCEPTION 'concurrency limit' USING ERRCODE = 'RL429', DETAIL = v_key.max_concurrency::text;
  END IF;

  INSERT INTO executions (id, key_id, status, language, template, timeout_ms, code, env, files, inputs_ciphertext, metadata,
      webhook_url, created_at, period_start, rate_picos_per_second, reserved_micros)
    SELECT r.id, r.key_id, r.status, r.language, r.template, r.timeout_ms, r.code, r.env, r.files, r.inputs_ciphertext, r.metadata,
      r.webhook_url, r.created_at, r.period_start, r.rate_picos_per_second, r.reserved_micros
    FROM jsonb_populate_record(NULL::executions, p_execution) AS r;

  IF p_idempotency_key IS NOT NULL THEN
    INSERT INTO idempotency_keys (key_id, idempotency_key, request_hash, execution_id, expires_at)
      VALUES (v_key_id, p_idempotency_key, p_request_hash, p_execution->>'id', p_idempotency_expires_at)
      ON CONFLICT (key_id, idempotency_key) DO UPDATE
        SET request_hash = excluded.request_hash, execution_id = excluded.execution_id, expires_at = excluded.expires_at;
  END IF;

  RETURN p_execution->>'id';
END;
$$;
