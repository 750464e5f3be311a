DROP FUNCTION IF EXISTS es_write_batch(uuid, uuid[], text[], bigint[], boolean[], bytea, integer[],
                                       bytea, integer[]);
