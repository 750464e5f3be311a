DROP FUNCTION IF EXISTS es_write_state(uuid, uuid, text, bigint, boolean, bytea, bytea);
