-- A status write runs as ONE autocommit statement (docs/workflow.md "How a status write runs"):
-- when what it checks inside that statement says it must not commit (the unit changed since it
-- was read, a done status on an empty answer, a status listener with work to do in code), it
-- raises through this function. SQLSTATE 'LOUPE' names Loupe's own refusals; the message is the
-- reason the service acts on. NULL: nothing refused.
CREATE OR REPLACE FUNCTION loupe_refuse(reason text) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  IF reason IS NULL THEN
    RETURN NULL;
  END IF;
  RAISE EXCEPTION USING ERRCODE = 'LOUPE', MESSAGE = reason;
END
$$;
