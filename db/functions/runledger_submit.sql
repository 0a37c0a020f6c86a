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
      internet, outputs, webhook_url, created_at, period_start, rate_picos_per_second, reserved_micros)
    SELECT r.id, r.key_id, r.status, r.language, r.template, r.timeout_ms, r.code, r.env, r.files, r.inputs_ciphertext, r.metadata,
      r.internet, r.outputs, r.webhook_url, r.created_at, r.period_start, r.rate_picos_per_second, r.reserved_micros
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
