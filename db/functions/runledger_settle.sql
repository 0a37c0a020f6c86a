-- Settling an execution's money: its reservation released and its cost added, in its budget
-- period and in its hour window (when it has one), and the day's rollups (what reports read)
-- counted, overall and under each of its tags (an untagged one under ''), in one statement.
CREATE OR REPLACE FUNCTION runledger_settle(p_row executions) RETURNS void
LANGUAGE sql AS $$
  WITH usage AS (
    UPDATE budget_usage
      SET reserved_micros = reserved_micros - p_row.reserved_micros, spent_micros = spent_micros + coalesce(p_row.cost_micros, 0)
      WHERE key_id = p_row.key_id AND period_start = p_row.period_start
  ), hour AS (
    UPDATE hour_usage
      SET reserved_micros = reserved_micros - p_row.reserved_micros, spent_micros = spent_micros + coalesce(p_row.cost_micros, 0)
      WHERE key_id = p_row.key_id AND hour_start = p_row.hour_start
  ), tagged AS (
    INSERT INTO tag_cost_rollups AS r (key_id, day, tag, template, language, status, executions, sandbox_ms, cost_micros)
      SELECT p_row.key_id, (p_row.created_at AT TIME ZONE 'UTC')::date, tag, p_row.template, p_row.language, p_row.status, 1,
        coalesce(p_row.sandbox_ms, 0), coalesce(p_row.cost_micros, 0)
      FROM unnest(CASE WHEN cardinality(p_row.tags) = 0 THEN ARRAY[''] ELSE p_row.tags END) AS tag
      ON CONFLICT (key_id, day, tag, template, language, status) DO UPDATE
        SET executions = r.executions + 1,
            sandbox_ms = r.sandbox_ms + excluded.sandbox_ms,
            cost_micros = r.cost_micros + excluded.cost_micros
  )
  INSERT INTO cost_rollups (key_id, day, template, language, status, executions, sandbox_ms, cost_micros)
    VALUES (p_row.key_id, (p_row.created_at AT TIME ZONE 'UTC')::date, p_row.template, p_row.language, p_row.status, 1,
      coalesce(p_row.sandbox_ms, 0), coalesce(p_row.cost_micros, 0))
    ON CONFLICT (key_id, day, template, language, status) DO UPDATE
      SET executions = cost_rollups.executions + 1,
          sandbox_ms = cost_rollups.sandbox_ms + excluded.sandbox_ms,
          cost_micros = cost_rollups.cost_micros + excluded.cost_micros;
$$;
