-- es_write_state refuses a writer that is not a live device of the account
-- (status 'device_revoked'): revoking a device ends its sessions, but a request
-- authenticated just before the revoke could otherwise still commit after it,
-- and a device id that is not the account's surfaced as a foreign-key error.
-- es_write_batch calls es_write_state per item, so batches get the rule too.
--
-- status: 'ok' | 'conflict' | 'not_found' | 'quota_exceeded' | 'account_missing'
--         | 'device_revoked'
CREATE OR REPLACE FUNCTION es_write_state(
    p_account uuid, p_device uuid, p_key text, p_expect_version bigint,
    p_delete boolean, p_state bytea, p_nonce bytea)
RETURNS TABLE (
    status text, new_version bigint, new_seq bigint,
    cur_id uuid, cur_device uuid, cur_state bytea, cur_nonce bytea, cur_version bigint,
    cur_seq bigint, cur_size bigint, cur_created timestamptz, cur_updated timestamptz,
    cur_deleted timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
    acc      accounts%ROWTYPE;
    cur      encrypted_states%ROWTYPE;
    new_size bigint := CASE WHEN p_delete THEN 0 ELSE coalesce(length(p_state), 0) END;
    old_size bigint := 0;
    v        bigint;
    s        bigint;
BEGIN
    SELECT * INTO acc FROM accounts a
     WHERE a.id = p_account AND a.deleted_at IS NULL AND a.disabled_at IS NULL
       FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'account_missing'::text, NULL::bigint, NULL::bigint, NULL::uuid,
            NULL::uuid, NULL::bytea, NULL::bytea, NULL::bigint, NULL::bigint, NULL::bigint,
            NULL::timestamptz, NULL::timestamptz, NULL::timestamptz;
        RETURN;
    END IF;

    -- The writing device must be a live device of this account. FOR SHARE
    -- conflicts with the UPDATE that revokes it: a write and a revoke of its
    -- device are ordered, so no write commits after its device's revoke did.
    PERFORM 1 FROM devices d
     WHERE d.account_id = p_account AND d.id = p_device
       AND d.revoked_at IS NULL AND d.deleted_at IS NULL
       FOR SHARE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'device_revoked'::text, NULL::bigint, NULL::bigint, NULL::uuid,
            NULL::uuid, NULL::bytea, NULL::bytea, NULL::bigint, NULL::bigint, NULL::bigint,
            NULL::timestamptz, NULL::timestamptz, NULL::timestamptz;
        RETURN;
    END IF;

    SELECT * INTO cur FROM encrypted_states e
     WHERE e.account_id = p_account AND e.key = p_key;

    IF p_expect_version = 0 THEN
        IF cur.id IS NOT NULL AND cur.deleted_at IS NULL THEN
            status := 'conflict';
        ELSIF p_delete THEN
            status := 'not_found';  -- nothing live to delete
        END IF;
    ELSIF cur.id IS NULL OR (p_delete AND cur.deleted_at IS NOT NULL
                             AND cur.version = p_expect_version) THEN
        status := 'not_found';   -- nothing to update, or deleting a tombstone
    ELSIF cur.version <> p_expect_version THEN
        status := 'conflict';
    END IF;

    IF cur.id IS NOT NULL THEN
        old_size := cur.size;
    END IF;
    IF status IS NULL AND acc.quota_bytes IS NOT NULL AND new_size > old_size
       AND acc.used_bytes - old_size + new_size > acc.quota_bytes THEN
        status := 'quota_exceeded';
    END IF;

    IF status IS NOT NULL THEN
        RETURN QUERY SELECT status, NULL::bigint, NULL::bigint, cur.id, cur.device_id,
            cur.state, cur.nonce, cur.version, cur.seq, cur.size, cur.created_at,
            cur.updated_at, cur.deleted_at;
        RETURN;
    END IF;

    v := coalesce(cur.version, 0) + 1;
    UPDATE accounts a
       SET last_seq = a.last_seq + 1,
           used_bytes = greatest(a.used_bytes - old_size + new_size, 0)
     WHERE a.id = p_account
    RETURNING a.last_seq INTO s;

    INSERT INTO encrypted_states AS e
           (account_id, device_id, key, state, nonce, version, seq, size, deleted_at)
    VALUES (p_account, p_device, p_key,
            CASE WHEN p_delete THEN '\x'::bytea ELSE p_state END,
            CASE WHEN p_delete THEN '\x'::bytea ELSE p_nonce END,
            v, s, new_size, CASE WHEN p_delete THEN now() END)
    ON CONFLICT (account_id, key) DO UPDATE
       SET device_id = excluded.device_id, state = excluded.state, nonce = excluded.nonce,
           version = excluded.version, seq = excluded.seq, size = excluded.size,
           updated_at = now(), deleted_at = excluded.deleted_at;

    INSERT INTO sync_events (account_id, device_id, event_type, state_key, sequence_number, payload)
    VALUES (p_account, p_device, CASE WHEN p_delete THEN 'state.delete' ELSE 'state.put' END,
            p_key, s, jsonb_build_object('version', v, 'size', new_size));

    RETURN QUERY SELECT 'ok'::text, v, s, NULL::uuid, NULL::uuid, NULL::bytea, NULL::bytea,
        NULL::bigint, NULL::bigint, NULL::bigint, NULL::timestamptz, NULL::timestamptz,
        NULL::timestamptz;
END;
$$;
