-- 0001: the snapshot tables.
--
-- Every row belongs to one snapshot (snapshot_id = snapshots.id). A snapshot's rows, its
-- snapshots row with complete = 1 and the pruning of old snapshots are committed in ONE
-- transaction, so readers see a whole snapshot or none of it; the views read only complete
-- snapshots. Times are UTC. Floats are DOUBLE. Identifiers (place, activity, user ids) use a
-- binary NO PAD collation so 'Cafe', 'Café', 'cafe' and 'Bar ' stay distinct keys;
-- {{id_collation}} is utf8mb4_nopad_bin on MariaDB and utf8mb4_0900_bin on MySQL 8.
-- Names use utf8mb4_unicode_ci for natural sorting and searching (bytes are stored as given).

CREATE TABLE IF NOT EXISTS snapshots (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  started_at DATETIME(3) NOT NULL COMMENT 'UTC wall time when the state view was taken',
  finished_at DATETIME(3) NULL COMMENT 'UTC wall time just before the commit',
  complete TINYINT(1) NOT NULL DEFAULT 0 COMMENT '1 once every row of the snapshot is written',
  writer VARCHAR(255) NOT NULL COMMENT 'host:pid of the locus process that wrote it',
  model_version VARCHAR(128) NOT NULL,
  state_at DATETIME(3) NULL COMMENT 'newest event time in the state (UTC); NULL when empty',
  events_applied BIGINT NOT NULL COMMENT 'events applied to the state since it was created',
  places INT NOT NULL,
  activities INT NOT NULL,
  users INT NOT NULL COMMENT 'users with any history (a count only)',
  rows_written BIGINT NOT NULL DEFAULT 0 COMMENT 'rows of this snapshot in all tables',
  content_hash CHAR(16) NOT NULL COMMENT 'FNV-1a 64 of the rows; equal state gives an equal hash',
  duration_s DOUBLE NULL COMMENT 'seconds from the view to just before the commit',
  PRIMARY KEY (id),
  KEY snapshots_complete (complete, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE={{id_collation}};

CREATE TABLE IF NOT EXISTS snapshot_offsets (
  snapshot_id BIGINT UNSIGNED NOT NULL,
  topic VARCHAR(255) NOT NULL,
  `partition` INT NOT NULL,
  next_offset BIGINT NOT NULL COMMENT 'everything before this offset is in the snapshot',
  PRIMARY KEY (snapshot_id, topic, `partition`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE={{id_collation}};

CREATE TABLE IF NOT EXISTS places (
  snapshot_id BIGINT UNSIGNED NOT NULL,
  place_id VARCHAR(128) NOT NULL,
  name VARCHAR(1024) COLLATE utf8mb4_unicode_ci NOT NULL,
  lat DOUBLE NOT NULL,
  lon DOUBLE NOT NULL,
  activities JSON NOT NULL COMMENT 'JSON array of the activities the place offers',
  tags JSON NOT NULL COMMENT 'JSON array of tags',
  visits BIGINT NOT NULL COMMENT 'visits over all activities',
  clicks BIGINT NOT NULL,
  users INT NOT NULL COMMENT 'distinct users with history at the place',
  PRIMARY KEY (snapshot_id, place_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE={{id_collation}};

CREATE TABLE IF NOT EXISTS activities (
  snapshot_id BIGINT UNSIGNED NOT NULL,
  activity VARCHAR(256) NOT NULL,
  places INT NOT NULL COMMENT 'places that offer the activity',
  places_with_events INT NOT NULL,
  visits BIGINT NOT NULL,
  clicks BIGINT NOT NULL,
  ratings BIGINT NOT NULL,
  users INT NOT NULL COMMENT 'distinct users with history for the activity',
  popularity DOUBLE NOT NULL COMMENT 'sum of decayed popularity at state_at',
  PRIMARY KEY (snapshot_id, activity)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE={{id_collation}};

CREATE TABLE IF NOT EXISTS activity_place_scores (
  snapshot_id BIGINT UNSIGNED NOT NULL,
  activity VARCHAR(256) NOT NULL,
  `rank` INT NOT NULL COMMENT '1 = most popular; ties broken by place_id',
  place_id VARCHAR(128) NOT NULL,
  score DOUBLE NOT NULL COMMENT 'time-decayed popularity at state_at (half-life from config)',
  visits BIGINT NOT NULL,
  clicks BIGINT NOT NULL,
  ratings BIGINT NOT NULL,
  mean_rating DOUBLE NULL,
  last_event_at DATETIME(3) NULL,
  PRIMARY KEY (snapshot_id, activity, `rank`),
  KEY scores_place (snapshot_id, place_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE={{id_collation}};

CREATE TABLE IF NOT EXISTS place_neighbours (
  snapshot_id BIGINT UNSIGNED NOT NULL,
  place_id VARCHAR(128) NOT NULL,
  `rank` INT NOT NULL,
  neighbour_id VARCHAR(128) NOT NULL,
  users BIGINT NOT NULL COMMENT 'users who visited both places',
  score DOUBLE NOT NULL,
  PRIMARY KEY (snapshot_id, place_id, `rank`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE={{id_collation}};

-- Aggregates over users only: no user id appears here.
CREATE TABLE IF NOT EXISTS user_activity_stats (
  snapshot_id BIGINT UNSIGNED NOT NULL,
  activity VARCHAR(256) NOT NULL,
  users INT NOT NULL,
  visits BIGINT NOT NULL,
  clicks BIGINT NOT NULL,
  user_place_pairs BIGINT NOT NULL,
  returning_users INT NOT NULL COMMENT 'users with two or more visits to one place',
  visits_per_user DOUBLE NOT NULL,
  PRIMARY KEY (snapshot_id, activity)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE={{id_collation}};

-- Per-user rows: written only with mysql.export_user_rows = true, empty otherwise.
CREATE TABLE IF NOT EXISTS user_place_history (
  snapshot_id BIGINT UNSIGNED NOT NULL,
  user_id VARCHAR(128) NOT NULL,
  activity VARCHAR(256) NOT NULL,
  place_id VARCHAR(128) NOT NULL,
  visits BIGINT NOT NULL,
  clicks BIGINT NOT NULL,
  last_event_at DATETIME(3) NULL,
  PRIMARY KEY (snapshot_id, user_id, activity, place_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE={{id_collation}};

CREATE TABLE IF NOT EXISTS engine_stats (
  snapshot_id BIGINT UNSIGNED NOT NULL,
  name VARCHAR(128) NOT NULL COMMENT 'events_applied, places, rejected.<reason>, ...',
  value DOUBLE NOT NULL,
  PRIMARY KEY (snapshot_id, name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE={{id_collation}};

-- The leaders of each activity per day of event time (the day of state_at), as of the last
-- complete snapshot of that day. Not pruned with the snapshots, so the daily trend outlives
-- mysql.keep_snapshots; names are copied because places rows are pruned.
CREATE TABLE IF NOT EXISTS daily_leaders (
  day DATE NOT NULL,
  activity VARCHAR(256) NOT NULL,
  `rank` INT NOT NULL,
  place_id VARCHAR(128) NOT NULL,
  name VARCHAR(1024) COLLATE utf8mb4_unicode_ci NOT NULL,
  score DOUBLE NOT NULL,
  visits BIGINT NOT NULL,
  snapshot_id BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (day, activity, `rank`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE={{id_collation}};

-- One row per method and slice of an offline evaluation (`locus eval`); run_key groups the
-- rows of one run.
CREATE TABLE IF NOT EXISTS eval_runs (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  run_key VARCHAR(64) NOT NULL,
  started_at DATETIME(3) NOT NULL,
  dataset VARCHAR(512) NOT NULL,
  protocol VARCHAR(64) NOT NULL,
  method VARCHAR(64) NOT NULL,
  slice VARCHAR(32) NOT NULL COMMENT 'all, warm or novel',
  model_version VARCHAR(128) NULL,
  queries BIGINT NOT NULL,
  hr_at_1 DOUBLE NULL,
  hr_at_5 DOUBLE NULL,
  hr_at_10 DOUBLE NULL,
  ndcg_at_10 DOUBLE NULL,
  mrr DOUBLE NULL,
  seconds DOUBLE NULL,
  details JSON NULL,
  PRIMARY KEY (id),
  UNIQUE KEY eval_runs_row (run_key, method, slice)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE={{id_collation}};
