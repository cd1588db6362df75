-- 0002: reporting views. They read complete snapshots only (complete = 1), so a snapshot
-- being written, or one whose transaction failed, is never seen.

-- The newest complete snapshot.
CREATE OR REPLACE VIEW v_latest_snapshot AS
SELECT s.*
FROM snapshots s
WHERE s.id = (SELECT MAX(id) FROM snapshots WHERE complete = 1);

-- Current top places per activity: ORDER BY activity, `rank`.
CREATE OR REPLACE VIEW v_top_places AS
SELECT sc.activity, sc.`rank`, sc.place_id, p.name, sc.score,
       sc.visits, p.lat, p.lon, sc.last_event_at, sc.snapshot_id
FROM activity_place_scores sc
JOIN places p ON p.snapshot_id = sc.snapshot_id AND p.place_id = sc.place_id
WHERE sc.snapshot_id = (SELECT MAX(id) FROM snapshots WHERE complete = 1);

-- Daily trend of each activity's leaders (day of event time; see daily_leaders), with the
-- day before's rank of the same place (NULL: it was not among the leaders).
CREATE OR REPLACE VIEW v_daily_leaders AS
SELECT d.day, d.activity, d.`rank`, d.place_id, d.name, d.score, d.visits,
       (SELECT prev.`rank` FROM daily_leaders prev
        WHERE prev.activity = d.activity AND prev.place_id = d.place_id
          AND prev.day = (SELECT MAX(p2.day) FROM daily_leaders p2
                          WHERE p2.activity = d.activity AND p2.day < d.day)) AS previous_rank,
       d.snapshot_id
FROM daily_leaders d;

-- Engine throughput per complete snapshot: events applied since the previous complete
-- snapshot and over how many wall seconds.
CREATE OR REPLACE VIEW v_engine_throughput AS
SELECT t.snapshot_id, t.finished_at, t.state_at, t.events_applied, t.events_delta, t.seconds,
       CASE WHEN t.seconds > 0 THEN t.events_delta / t.seconds END AS events_per_s,
       t.duration_s, t.rows_written
FROM (
  SELECT s.id AS snapshot_id, s.finished_at, s.state_at, s.events_applied,
         s.events_applied - LAG(s.events_applied) OVER (ORDER BY s.id) AS events_delta,
         TIMESTAMPDIFF(MICROSECOND, LAG(s.finished_at) OVER (ORDER BY s.id), s.finished_at)
           / 1e6 AS seconds,
         s.duration_s, s.rows_written
  FROM snapshots s
  WHERE s.complete = 1
) t;
