-- The poll leases due calls in the order they became due, not by arrival: a call looked at and
-- found still ringing waits behind its next look (next_lookup_at), an owed text behind its next
-- attempt, so calls looked at over and over never starve one that just became due. The lease's
-- ORDER BY is this expression, so it walks the index and stops at its LIMIT.
CREATE INDEX active_calls_unprocessed_due
    ON active_calls ((COALESCE(next_attempt_at, next_lookup_at, received_at)))
    WHERE NOT processed;
