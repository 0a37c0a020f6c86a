DROP FUNCTION IF EXISTS runledger_submit(jsonb, text, text, text, timestamptz, integer);
--> statement-breakpoint
-- A submit decided in one round trip: under a lock on the key's row (so that one key's submits
-- are decided one at a time), record the request's signature (a replay is refused, unless it is the
-- exact resend its Idempotency-Key allows), check the key's secret, revocation and limits as they
-- are now (the Worker may have read the key a little while ago), answer a repeated idempotency
-- key, fit the timeout to what remains
-- when asked to, reserve the worst-case cost in the budget period and in the hour window with one
-- conditional statement each, check the concurrency cap, insert, and put in the outbox the budget
-- alerts this reservation set off. A refusal of the period or the concurrency raises, which undoes
-- everything the call did; its SQLSTATE (class RL) tells the Worker which one it was. A refusal of
-- the hour returns instead, so that its once-an-hour event stays.
-- Returns {id, timeout_ms, reserved_micros, hour_start, events} for a new execution, {id, replayed}
-- for a repeated idempotency key, {refused: "hour", limit, spent, reserved, required, events}.
CREATE OR REPLACE FUNCTION runledger_submit(
  p_execution jsonb,
  p_budget_period text,
  p_idempotency_key text,
  p_request_hash text,
  p_idempotency_expires_at timestamptz,
  -- With timeout_policy "fit": the whole seconds of startup allowance a reservation adds; null for "exact".
  p_fit_allowance_s integer,
  -- The request's signature, when this call is the one to record it, and until when it is kept.
  p_signature text,
  p_signature_expires_at timestamptz,
  -- The ciphertext of the secret the signature matched: it must still be the key's (or its previous one, in its grace).
  p_secret_ciphertext text,
  -- The request's `internet`; null: the key's internet_access.
  p_internet boolean
) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_key_id text := p_execution->>'key_id';
  v_now timestamptz := (p_execution->>'created_at')::timestamptz;
  v_period timestamptz := (p_execution->>'period_start')::timestamptz;
  v_reserve bigint := (p_execution->>'reserved_micros')::bigint;
  v_timeout integer := (p_execution->>'timeout_ms')::integer;
  v_rate bigint := (p_execution->>'rate_picos_per_second')::bigint;
  v_hour timestamptz;
  v_key record;
  v_prior record;
  v_usage record;
  v_room bigint;
  v_seconds bigint;
  v_active integer;
  v_pct integer;
  v_reached integer[] := '{}';
  v_events text[] := '{}';
  v_event_id text;
  v_internet boolean;
  v_fresh boolean;
  v_bound text;
BEGIN
  -- "No key update": settlements insert rows that reference this key and take a key-share lock
  -- on it while holding the budget row; a plain "for update" here deadlocks with them.
  SELECT revoked_at, budget_micros, budget_period, max_concurrency, hourly_limit_micros, events_url, alert_thresholds,
      secret_ciphertext, previous_secret_ciphertext, previous_secret_valid_until, templates, max_timeout_ms, internet_access INTO v_key
    FROM keys WHERE id = v_key_id FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'unknown key' USING ERRCODE = 'RL401';
  END IF;
  IF p_signature IS NOT NULL THEN
    INSERT INTO request_nonces AS n (key_id, signature, idempotency_key, expires_at)
      VALUES (v_key_id, p_signature, p_idempotency_key, p_signature_expires_at)
      ON CONFLICT (key_id, signature) DO UPDATE SET expires_at = n.expires_at
      RETURNING (xmax = 0), n.idempotency_key INTO v_fresh, v_bound;
    IF NOT v_fresh AND (p_idempotency_key IS NULL OR v_bound IS DISTINCT FROM p_idempotency_key) THEN
      RAISE EXCEPTION 'this signature was already used' USING ERRCODE = 'RLRPL';
    END IF;
  END IF;
  IF p_secret_ciphertext IS NOT NULL AND NOT coalesce(p_secret_ciphertext = v_key.secret_ciphertext
      OR (p_secret_ciphertext = v_key.previous_secret_ciphertext AND v_key.previous_secret_valid_until > v_now), false) THEN
    RAISE EXCEPTION 'the secret is no longer the key''s' USING ERRCODE = 'RL401';
  END IF;
  IF v_key.revoked_at IS NOT NULL THEN
    RAISE EXCEPTION 'this key has been revoked' USING ERRCODE = 'RL403';
  END IF;
  IF v_key.templates IS NOT NULL AND NOT (p_execution->>'template' = ANY (v_key.templates)) THEN
    RAISE EXCEPTION 'template not allowed' USING ERRCODE = 'RLTPL', DETAIL = array_to_string(v_key.templates, ', ');
  END IF;
  IF v_timeout > v_key.max_timeout_ms THEN
    RAISE EXCEPTION 'timeout over the key''s maximum' USING ERRCODE = 'RLTMO', DETAIL = v_key.max_timeout_ms::text;
  END IF;
  IF p_internet AND NOT v_key.internet_access THEN
    RAISE EXCEPTION 'internet not allowed' USING ERRCODE = 'RLNET';
  END IF;
  v_internet := coalesce(p_internet, v_key.internet_access);
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
      RETURN jsonb_build_object('id', v_prior.execution_id, 'replayed', true);
    END IF;
  END IF;

  IF v_key.hourly_limit_micros IS NOT NULL THEN
    v_hour := date_trunc('hour', v_now AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
  END IF;

  -- "fit": the largest whole-second timeout whose reservation fits what remains of every window.
  IF p_fit_allowance_s IS NOT NULL THEN
    SELECT v_key.budget_micros - coalesce(sum(spent_micros + reserved_micros), 0) INTO v_room
      FROM budget_usage WHERE key_id = v_key_id AND period_start = v_period;
    IF v_hour IS NOT NULL THEN
      SELECT least(v_room, v_key.hourly_limit_micros - coalesce(sum(spent_micros + reserved_micros), 0)) INTO v_room
        FROM hour_usage WHERE key_id = v_key_id AND hour_start = v_hour;
    END IF;
    IF v_reserve > v_room THEN
      v_seconds := floor(greatest(v_room, 0)::numeric * 1000000 / v_rate)::bigint - p_fit_allowance_s;
      v_seconds := greatest(v_seconds, 1);
      -- At 1 s it may still not fit: then the reservation below refuses, naming what 1 s needs.
      v_timeout := least(v_timeout, v_seconds * 1000);
      v_reserve := ceil(v_rate::numeric * (v_seconds + p_fit_allowance_s) / 1000000)::bigint;
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
      'reserved', coalesce(v_usage.reserved_micros, 0)::text,
      'required', v_reserve::text
    )::text;
  END IF;

  IF v_hour IS NOT NULL THEN
    INSERT INTO hour_usage AS h (key_id, hour_start, spent_micros, reserved_micros)
      SELECT v_key_id, v_hour, 0, v_reserve WHERE v_reserve <= v_key.hourly_limit_micros
      ON CONFLICT (key_id, hour_start) DO UPDATE
        SET reserved_micros = h.reserved_micros + excluded.reserved_micros
        WHERE h.spent_micros + h.reserved_micros + excluded.reserved_micros <= v_key.hourly_limit_micros;
    IF NOT FOUND THEN
      -- The period's reservation is taken back by hand: this refusal returns, so that the hour's
      -- first refusal can leave its event behind.
      UPDATE budget_usage SET reserved_micros = reserved_micros - v_reserve WHERE key_id = v_key_id AND period_start = v_period;
      INSERT INTO hour_usage (key_id, hour_start) VALUES (v_key_id, v_hour) ON CONFLICT DO NOTHING;
      UPDATE hour_usage SET limit_reached = true WHERE key_id = v_key_id AND hour_start = v_hour AND NOT limit_reached
        RETURNING spent_micros, reserved_micros INTO v_usage;
      IF FOUND AND v_key.events_url IS NOT NULL THEN
        v_event_id := runledger_new_id('msg_');
        INSERT INTO events (id, key_id, type, url, data, created_at, status, next_attempt_at)
          VALUES (v_event_id, v_key_id, 'budget.hourly_limit_reached', v_key.events_url, jsonb_build_object(
            'key_id', v_key_id,
            'hour_start', to_char(v_hour AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
            'limit_usd', runledger_usd(v_key.hourly_limit_micros),
            'spent_usd', runledger_usd(v_usage.spent_micros),
            'reserved_usd', runledger_usd(v_usage.reserved_micros),
            'required_usd', runledger_usd(v_reserve)
          ), v_now, 'pending', v_now);
        v_events := v_events || v_event_id;
      END IF;
      SELECT spent_micros, reserved_micros INTO v_usage FROM hour_usage WHERE key_id = v_key_id AND hour_start = v_hour;
      RETURN jsonb_build_object('refused', 'hour', 'limit', v_key.hourly_limit_micros::text, 'spent', v_usage.spent_micros::text,
        'reserved', v_usage.reserved_micros::text, 'required', v_reserve::text, 'events', to_jsonb(v_events));
    END IF;
  END IF;

  SELECT count(*) INTO v_active FROM executions WHERE key_id = v_key_id AND status IN ('queued', 'running');
  IF v_active >= v_key.max_concurrency THEN
    RAISE EXCEPTION 'concurrency limit' USING ERRCODE = 'RL429', DETAIL = v_key.max_concurrency::text;
  END IF;

  INSERT INTO executions (id, key_id, status, language, template, timeout_ms, code, env, files, inputs_ciphertext, metadata,
      internet, outputs, tags, webhook_url, created_at, period_start, hour_start, rate_picos_per_second, reserved_micros)
    SELECT r.id, r.key_id, r.status, r.language, r.template, v_timeout, r.code, r.env, r.files, r.inputs_ciphertext, r.metadata,
      v_internet, r.outputs, r.tags, r.webhook_url, r.created_at, r.period_start, v_hour, r.rate_picos_per_second, v_reserve
    FROM jsonb_populate_record(NULL::executions, p_execution) AS r;

  -- Budget alerts: each threshold the period's spent + reserved first reaches, once per period.
  SELECT spent_micros, reserved_micros, alerted_thresholds INTO v_usage
    FROM budget_usage WHERE key_id = v_key_id AND period_start = v_period;
  FOR v_pct IN
    SELECT t FROM unnest(v_key.alert_thresholds) AS t
      WHERE NOT (t = ANY (v_usage.alerted_thresholds))
        AND (v_usage.spent_micros + v_usage.reserved_micros) * 100 >= t::bigint * v_key.budget_micros
      ORDER BY t
  LOOP
    v_reached := v_reached || v_pct;
    IF v_key.events_url IS NOT NULL THEN
      v_event_id := runledger_new_id('msg_');
      INSERT INTO events (id, key_id, type, url, data, created_at, status, next_attempt_at)
        VALUES (v_event_id, v_key_id, 'budget.threshold_reached', v_key.events_url, jsonb_build_object(
          'key_id', v_key_id,
          'period', v_key.budget_period,
          'period_start', to_char(v_period AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
          'threshold_pct', v_pct,
          'limit_usd', runledger_usd(v_key.budget_micros),
          'spent_usd', runledger_usd(v_usage.spent_micros),
          'reserved_usd', runledger_usd(v_usage.reserved_micros)
        ), v_now, 'pending', v_now);
      v_events := v_events || v_event_id;
    END IF;
  END LOOP;
  IF cardinality(v_reached) > 0 THEN
    UPDATE budget_usage SET alerted_thresholds = alerted_thresholds || v_reached WHERE key_id = v_key_id AND period_start = v_period;
  END IF;

  IF p_idempotency_key IS NOT NULL THEN
    INSERT INTO idempotency_keys (key_id, idempotency_key, request_hash, execution_id, expires_at)
      VALUES (v_key_id, p_idempotency_key, p_request_hash, p_execution->>'id', p_idempotency_expires_at)
      ON CONFLICT (key_id, idempotency_key) DO UPDATE
        SET request_hash = excluded.request_hash, execution_id = excluded.execution_id, expires_at = excluded.expires_at;
  END IF;

  RETURN jsonb_build_object('id', p_execution->>'id', 'timeout_ms', v_timeout, 'reserved_micros', v_reserve::text,
    'hour_start', v_hour, 'internet', v_internet, 'events', to_jsonb(v_events));
END;
$$;
