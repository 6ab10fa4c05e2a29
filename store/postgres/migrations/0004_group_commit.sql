-- Stepwise schema, version 4: group commit (engine v2).

-- stepwise_advance_group moves many executions to their next version at
-- once (one group commit), or raises serialization_failure (40001) when
-- any of them is no longer at the version it was decided from, which
-- aborts the whole transaction.
CREATE FUNCTION stepwise_advance_group(p_id bigint[], p_version bigint[], p_status text[], p_state text[],
    p_last_event_id bigint[], p_output text[], p_error text[], p_cause text[], p_stop_date timestamptz[])
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    UPDATE executions x
       SET version = u.version + 1, status = u.status, state = u.state, last_event_id = u.last_event_id,
           output = nullif(u.output, ''), error = nullif(u.error, ''), cause = nullif(u.cause, ''),
           stop_date = u.stop_date
      FROM unnest(p_id, p_version, p_status, p_state, p_last_event_id, p_output, p_error, p_cause, p_stop_date)
           AS u(id, version, status, state, last_event_id, output, error, cause, stop_date)
     WHERE x.id = u.id AND x.version = u.version;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n <> cardinality(p_id) THEN
        RAISE EXCEPTION 'stepwise: % of % executions are no longer at the version decided from',
            cardinality(p_id) - n, cardinality(p_id) USING ERRCODE = '40001';
    END IF;
END
$$;
