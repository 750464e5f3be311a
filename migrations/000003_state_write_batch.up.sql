-- es_write_batch: many state writes of ONE account in one round trip and one
-- transaction, all or nothing (POST /v1/states:batch). Items are applied in
-- order by es_write_state; the first item that is not 'ok' undoes the whole
-- batch (the loop runs in a subtransaction), so sequence numbers stay dense.
--
-- Blobs travel concatenated in one bytea each (p_states, p_nonces) with
-- per-item lengths, so the client sends them in binary format instead of as
-- quoted array literals.
--
-- Returns one row per item (idx 0-based, 'ok', new_version, new_seq), or a
-- single row for the failing item: its idx, its status and the cur_* columns
-- of its key as they are without the batch.
CREATE FUNCTION es_write_batch(
    p_account uuid, p_devices uuid[], p_keys text[], p_expect_versions bigint[],
    p_deletes boolean[], p_states bytea, p_state_lengths integer[],
    p_nonces bytea, p_nonce_lengths integer[])
RETURNS TABLE (
    idx integer, status text, new_version bigint, new_seq bigint,
    cur_id uuid, cur_device uuid, cur_state bytea, cur_nonce bytea, cur_version bigint,
    cur_seq bigint, cur_size bigint, cur_created timestamptz, cur_updated timestamptz,
    cur_deleted timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
    n             integer := coalesce(array_length(p_keys, 1), 0);
    r             record;
    state_at      integer := 1;
    nonce_at      integer := 1;
    versions      bigint[] := '{}';
    seqs          bigint[] := '{}';
    failed        integer;
    failed_status text;
BEGIN
    IF coalesce(array_length(p_devices, 1), 0) <> n
       OR coalesce(array_length(p_expect_versions, 1), 0) <> n
       OR coalesce(array_length(p_deletes, 1), 0) <> n
       OR coalesce(array_length(p_state_lengths, 1), 0) <> n
       OR coalesce(array_length(p_nonce_lengths, 1), 0) <> n THEN
        RAISE EXCEPTION 'es_write_batch: argument arrays differ in length'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    BEGIN
        FOR i IN 1 .. n LOOP
            SELECT * INTO r FROM es_write_state(
                p_account, p_devices[i], p_keys[i], p_expect_versions[i], p_deletes[i],
                substring(p_states FROM state_at FOR p_state_lengths[i]),
                substring(p_nonces FROM nonce_at FOR p_nonce_lengths[i]));
            state_at := state_at + p_state_lengths[i];
            nonce_at := nonce_at + p_nonce_lengths[i];
            IF r.status <> 'ok' THEN
                -- Variables survive the rollback of the block; its writes do not.
                failed := i;
                failed_status := r.status;
                RAISE EXCEPTION 'es_write_batch: item % rejected', i USING ERRCODE = 'ES001';
            END IF;
            versions := versions || r.new_version;
            seqs := seqs || r.new_seq;
        END LOOP;
    EXCEPTION WHEN SQLSTATE 'ES001' THEN
        RETURN QUERY
            SELECT failed - 1, failed_status, NULL::bigint, NULL::bigint, e.id, e.device_id,
                   e.state, e.nonce, e.version, e.seq, e.size, e.created_at, e.updated_at,
                   e.deleted_at
              FROM (SELECT 1) AS one
              LEFT JOIN encrypted_states e
                ON failed_status <> 'account_missing'
               AND e.account_id = p_account AND e.key = p_keys[failed];
        RETURN;
    END;

    RETURN QUERY
        SELECT g.i - 1, 'ok'::text, versions[g.i], seqs[g.i], NULL::uuid, NULL::uuid,
               NULL::bytea, NULL::bytea, NULL::bigint, NULL::bigint, NULL::bigint,
               NULL::timestamptz, NULL::timestamptz, NULL::timestamptz
          FROM generate_series(1, n) AS g(i);
END;
$$;
