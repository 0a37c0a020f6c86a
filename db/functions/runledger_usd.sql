-- Micro-dollars as the API writes money: a decimal string with six places.
CREATE OR REPLACE FUNCTION runledger_usd(p_micros bigint) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT (p_micros::numeric / 1000000)::numeric(30, 6)::text;
$$;
