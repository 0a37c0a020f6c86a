-- An id as the Worker makes them: a prefix and 24 characters of lowercase Crockford base32
-- (0-9, a-z without i, l, o, u), from random bytes (each byte's low five bits).
CREATE OR REPLACE FUNCTION runledger_new_id(p_prefix text) RETURNS text
LANGUAGE sql VOLATILE AS $$
  SELECT p_prefix || string_agg(substr('0123456789abcdefghjkmnpqrstvwxyz', (get_byte(bytes, i) & 31) + 1, 1), '' ORDER BY i)
  FROM (SELECT decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex') AS bytes) AS random,
       generate_series(0, 23) AS i;
$$;
