-- 0003: v_engine_throughput compares consecutive complete snapshots of the same state. When
-- events_applied goes down (the writer now snapshots another, newer state directory) the
-- delta is meaningless: it is NULL there instead of negative.
CREATE OR REPLACE VIEW v_engine_throughput AS
SELECT t.snapshot_id, t.finished_at, t.state_at, t.events_applied,
       CASE WHEN t.events_delta >= 0 THEN t.events_delta END AS events_delta, t.seconds,
       CASE WHEN t.events_delta >= 0 AND t.seconds > 0 THEN t.events_delta / t.seconds END
         AS events_per_s,
       t.duration_s, t.rows_written, t.writer
FROM (
  SELECT s.id AS snapshot_id, s.finished_at, s.state_at, s.events_applied,
         s.events_applied - LAG(s.events_applied) OVER (ORDER BY s.id) AS events_delta,
         TIMESTAMPDIFF(MICROSECOND, LAG(s.finished_at) OVER (ORDER BY s.id), s.finished_at)
           / 1e6 AS seconds,
         s.duration_s, s.rows_written, s.writer
  FROM snapshots s
  WHERE s.complete = 1
) t;
