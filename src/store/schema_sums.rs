//! The SQL of the two largest migrations of `schema.rs`, as they were written:
//! the per-day sums of `/stats` (migration 11) and the console charts' series
//! (migration 18), each a table kept by triggers on the rows it sums.

/// Migration 11: `stats_days`, `stats_first_responses` and their triggers.
pub(super) const STATS_DAYS: &str = r#"
CREATE TABLE stats_days (
    specialist_id    INTEGER NOT NULL,
    day              INTEGER NOT NULL,
    taken            INTEGER NOT NULL DEFAULT 0,
    closed           INTEGER NOT NULL DEFAULT 0,
    resolutions      INTEGER NOT NULL DEFAULT 0,   -- closes with a resolution time
    resolution_sum_s INTEGER NOT NULL DEFAULT 0,
    ratings          INTEGER NOT NULL DEFAULT 0,
    good_ratings     INTEGER NOT NULL DEFAULT 0,   -- ratings of 4 or 5
    PRIMARY KEY (specialist_id, day)
) STRICT, WITHOUT ROWID;
CREATE TABLE stats_first_responses (
    specialist_id    INTEGER NOT NULL,
    day              INTEGER NOT NULL,
    first_response_s INTEGER NOT NULL,
    n                INTEGER NOT NULL,             -- how many, never 0
    PRIMARY KEY (specialist_id, day, first_response_s)
) STRICT, WITHOUT ROWID;

INSERT INTO stats_days (specialist_id, day, taken, closed, resolutions, resolution_sum_s,
    ratings, good_ratings)
SELECT who, day, sum(taken), sum(closed), sum(resolutions), sum(resolution_sum_s),
    sum(ratings), sum(good_ratings)
FROM (
    SELECT specialist_id AS who, (taken_at / 86400000 - (taken_at % 86400000 < 0)) AS day,
        1 AS taken, 0 AS closed, 0 AS resolutions, 0 AS resolution_sum_s,
        0 AS ratings, 0 AS good_ratings
    FROM assignments
    UNION ALL
    SELECT closed_by, (closed_at / 86400000 - (closed_at % 86400000 < 0)),
        0, 1, resolution_s IS NOT NULL, coalesce(resolution_s, 0), 0, 0
    FROM comm_figures WHERE closed_by IS NOT NULL AND closed_at IS NOT NULL
    UNION ALL
    SELECT specialist_id, (rated_at / 86400000 - (rated_at % 86400000 < 0)), 0, 0, 0, 0, 1, rating >= 4
    FROM surveys
    WHERE specialist_id IS NOT NULL AND rated_at IS NOT NULL AND rating IS NOT NULL
)
GROUP BY who, day;
INSERT INTO stats_first_responses (specialist_id, day, first_response_s, n)
SELECT first_response_by, (first_response_at / 86400000 - (first_response_at % 86400000 < 0)),
    first_response_s, count(*)
FROM comm_figures
WHERE first_response_by IS NOT NULL AND first_response_at IS NOT NULL
  AND first_response_s IS NOT NULL
GROUP BY 1, 2, 3;

-- Takes: a row of assignments counts on the day and for the specialist of its Take.
CREATE TRIGGER stats_taken_insert
AFTER INSERT ON assignments
BEGIN
    INSERT INTO stats_days (specialist_id, day, taken)
    VALUES (NEW.specialist_id, (NEW.taken_at / 86400000 - (NEW.taken_at % 86400000 < 0)),
        1)
    ON CONFLICT (specialist_id, day) DO UPDATE SET
        taken = taken + excluded.taken;
END;
CREATE TRIGGER stats_taken_delete
AFTER DELETE ON assignments
BEGIN
    INSERT INTO stats_days (specialist_id, day, taken)
    VALUES (OLD.specialist_id, (OLD.taken_at / 86400000 - (OLD.taken_at % 86400000 < 0)),
        -1)
    ON CONFLICT (specialist_id, day) DO UPDATE SET
        taken = taken + excluded.taken;
END;
CREATE TRIGGER stats_taken_update
AFTER UPDATE OF specialist_id, taken_at ON assignments
WHEN OLD.specialist_id IS NOT NEW.specialist_id
   OR OLD.taken_at IS NOT NEW.taken_at
BEGIN
    INSERT INTO stats_days (specialist_id, day, taken)
    VALUES (OLD.specialist_id, (OLD.taken_at / 86400000 - (OLD.taken_at % 86400000 < 0)),
        -1)
    ON CONFLICT (specialist_id, day) DO UPDATE SET
        taken = taken + excluded.taken;
    INSERT INTO stats_days (specialist_id, day, taken)
    VALUES (NEW.specialist_id, (NEW.taken_at / 86400000 - (NEW.taken_at % 86400000 < 0)),
        1)
    ON CONFLICT (specialist_id, day) DO UPDATE SET
        taken = taken + excluded.taken;
END;
-- Closes and resolutions: on the day of the close, for the specialist who closed.
CREATE TRIGGER stats_closed_insert
AFTER INSERT ON comm_figures
WHEN NEW.closed_by IS NOT NULL AND NEW.closed_at IS NOT NULL
BEGIN
    INSERT INTO stats_days (specialist_id, day, closed, resolutions, resolution_sum_s)
    VALUES (NEW.closed_by, (NEW.closed_at / 86400000 - (NEW.closed_at % 86400000 < 0)),
        1, (NEW.resolution_s IS NOT NULL), coalesce(NEW.resolution_s, 0))
    ON CONFLICT (specialist_id, day) DO UPDATE SET
        closed = closed + excluded.closed,
        resolutions = resolutions + excluded.resolutions,
        resolution_sum_s = resolution_sum_s + excluded.resolution_sum_s;
END;
CREATE TRIGGER stats_closed_delete
AFTER DELETE ON comm_figures
WHEN OLD.closed_by IS NOT NULL AND OLD.closed_at IS NOT NULL
BEGIN
    INSERT INTO stats_days (specialist_id, day, closed, resolutions, resolution_sum_s)
    VALUES (OLD.closed_by, (OLD.closed_at / 86400000 - (OLD.closed_at % 86400000 < 0)),
        -1, -(OLD.resolution_s IS NOT NULL), -coalesce(OLD.resolution_s, 0))
    ON CONFLICT (specialist_id, day) DO UPDATE SET
        closed = closed + excluded.closed,
        resolutions = resolutions + excluded.resolutions,
        resolution_sum_s = resolution_sum_s + excluded.resolution_sum_s;
END;
CREATE TRIGGER stats_closed_update
AFTER UPDATE OF closed_by, closed_at, resolution_s ON comm_figures
WHEN OLD.closed_by IS NOT NEW.closed_by
   OR OLD.closed_at IS NOT NEW.closed_at
   OR OLD.resolution_s IS NOT NEW.resolution_s
BEGIN
    INSERT INTO stats_days (specialist_id, day, closed, resolutions, resolution_sum_s)
    SELECT OLD.closed_by, (OLD.closed_at / 86400000 - (OLD.closed_at % 86400000 < 0)),
        -1, -(OLD.resolution_s IS NOT NULL), -coalesce(OLD.resolution_s, 0)
    WHERE OLD.closed_by IS NOT NULL AND OLD.closed_at IS NOT NULL
    ON CONFLICT (specialist_id, day) DO UPDATE SET
        closed = closed + excluded.closed,
        resolutions = resolutions + excluded.resolutions,
        resolution_sum_s = resolution_sum_s + excluded.resolution_sum_s;
    INSERT INTO stats_days (specialist_id, day, closed, resolutions, resolution_sum_s)
    SELECT NEW.closed_by, (NEW.closed_at / 86400000 - (NEW.closed_at % 86400000 < 0)),
        1, (NEW.resolution_s IS NOT NULL), coalesce(NEW.resolution_s, 0)
    WHERE NEW.closed_by IS NOT NULL AND NEW.closed_at IS NOT NULL
    ON CONFLICT (specialist_id, day) DO UPDATE SET
        closed = closed + excluded.closed,
        resolutions = resolutions + excluded.resolutions,
        resolution_sum_s = resolution_sum_s + excluded.resolution_sum_s;
END;
-- First responses: on the day they were given, for the specialist who gave them.
CREATE TRIGGER stats_first_response_insert
AFTER INSERT ON comm_figures
WHEN NEW.first_response_by IS NOT NULL AND NEW.first_response_at IS NOT NULL
  AND NEW.first_response_s IS NOT NULL
BEGIN
    INSERT INTO stats_first_responses (specialist_id, day, first_response_s, n)
    VALUES (NEW.first_response_by, (NEW.first_response_at / 86400000 - (NEW.first_response_at % 86400000 < 0)),
        NEW.first_response_s, 1)
    ON CONFLICT (specialist_id, day, first_response_s) DO UPDATE SET n = n + excluded.n;
END;
CREATE TRIGGER stats_first_response_delete
AFTER DELETE ON comm_figures
WHEN OLD.first_response_by IS NOT NULL AND OLD.first_response_at IS NOT NULL
  AND OLD.first_response_s IS NOT NULL
BEGIN
    INSERT INTO stats_first_responses (specialist_id, day, first_response_s, n)
    VALUES (OLD.first_response_by, (OLD.first_response_at / 86400000 - (OLD.first_response_at % 86400000 < 0)),
        OLD.first_response_s, -1)
    ON CONFLICT (specialist_id, day, first_response_s) DO UPDATE SET n = n + excluded.n;
    DELETE FROM stats_first_responses
    WHERE specialist_id = OLD.first_response_by
      AND day = (OLD.first_response_at / 86400000 - (OLD.first_response_at % 86400000 < 0))
      AND first_response_s = OLD.first_response_s AND n = 0;
END;
CREATE TRIGGER stats_first_response_update
AFTER UPDATE OF first_response_by, first_response_at, first_response_s ON comm_figures
WHEN OLD.first_response_by IS NOT NEW.first_response_by
   OR OLD.first_response_at IS NOT NEW.first_response_at
   OR OLD.first_response_s IS NOT NEW.first_response_s
BEGIN
    INSERT INTO stats_first_responses (specialist_id, day, first_response_s, n)
    SELECT OLD.first_response_by, (OLD.first_response_at / 86400000 - (OLD.first_response_at % 86400000 < 0)),
        OLD.first_response_s, -1
    WHERE OLD.first_response_by IS NOT NULL AND OLD.first_response_at IS NOT NULL
      AND OLD.first_response_s IS NOT NULL
    ON CONFLICT (specialist_id, day, first_response_s) DO UPDATE SET n = n + excluded.n;
    DELETE FROM stats_first_responses
    WHERE specialist_id = OLD.first_response_by
      AND day = (OLD.first_response_at / 86400000 - (OLD.first_response_at % 86400000 < 0))
      AND first_response_s = OLD.first_response_s AND n = 0;
    INSERT INTO stats_first_responses (specialist_id, day, first_response_s, n)
    SELECT NEW.first_response_by, (NEW.first_response_at / 86400000 - (NEW.first_response_at % 86400000 < 0)),
        NEW.first_response_s, 1
    WHERE NEW.first_response_by IS NOT NULL AND NEW.first_response_at IS NOT NULL
      AND NEW.first_response_s IS NOT NULL
    ON CONFLICT (specialist_id, day, first_response_s) DO UPDATE SET n = n + excluded.n;
END;
-- Ratings: on the day of the latest rating, for the specialist rated.
CREATE TRIGGER stats_rated_insert
AFTER INSERT ON surveys
WHEN NEW.specialist_id IS NOT NULL AND NEW.rated_at IS NOT NULL AND NEW.rating IS NOT NULL
BEGIN
    INSERT INTO stats_days (specialist_id, day, ratings, good_ratings)
    VALUES (NEW.specialist_id, (NEW.rated_at / 86400000 - (NEW.rated_at % 86400000 < 0)),
        1, (NEW.rating >= 4))
    ON CONFLICT (specialist_id, day) DO UPDATE SET
        ratings = ratings + excluded.ratings,
        good_ratings = good_ratings + excluded.good_ratings;
END;
CREATE TRIGGER stats_rated_delete
AFTER DELETE ON surveys
WHEN OLD.specialist_id IS NOT NULL AND OLD.rated_at IS NOT NULL AND OLD.rating IS NOT NULL
BEGIN
    INSERT INTO stats_days (specialist_id, day, ratings, good_ratings)
    VALUES (OLD.specialist_id, (OLD.rated_at / 86400000 - (OLD.rated_at % 86400000 < 0)),
        -1, -(OLD.rating >= 4))
    ON CONFLICT (specialist_id, day) DO UPDATE SET
        ratings = ratings + excluded.ratings,
        good_ratings = good_ratings + excluded.good_ratings;
END;
CREATE TRIGGER stats_rated_update
AFTER UPDATE OF specialist_id, rated_at, rating ON surveys
WHEN OLD.specialist_id IS NOT NEW.specialist_id
   OR OLD.rated_at IS NOT NEW.rated_at
   OR OLD.rating IS NOT NEW.rating
BEGIN
    INSERT INTO stats_days (specialist_id, day, ratings, good_ratings)
    SELECT OLD.specialist_id, (OLD.rated_at / 86400000 - (OLD.rated_at % 86400000 < 0)),
        -1, -(OLD.rating >= 4)
    WHERE OLD.specialist_id IS NOT NULL AND OLD.rated_at IS NOT NULL
      AND OLD.rating IS NOT NULL
    ON CONFLICT (specialist_id, day) DO UPDATE SET
        ratings = ratings + excluded.ratings,
        good_ratings = good_ratings + excluded.good_ratings;
    INSERT INTO stats_days (specialist_id, day, ratings, good_ratings)
    SELECT NEW.specialist_id, (NEW.rated_at / 86400000 - (NEW.rated_at % 86400000 < 0)),
        1, (NEW.rating >= 4)
    WHERE NEW.specialist_id IS NOT NULL AND NEW.rated_at IS NOT NULL
      AND NEW.rating IS NOT NULL
    ON CONFLICT (specialist_id, day) DO UPDATE SET
        ratings = ratings + excluded.ratings,
        good_ratings = good_ratings + excluded.good_ratings;
END;
"#;

/// Migration 18: `stats_series` and its triggers.
pub(super) const STATS_SERIES: &str = r#"
CREATE TABLE stats_series (
    metric     TEXT    NOT NULL CHECK (metric IN ('opened', 'first_response', 'resolution', 'rating')),
    day        INTEGER NOT NULL,                 -- UTC day: unix ms / 86,400,000
    department TEXT    NOT NULL,                 -- the request's key ('' without departments)
    bucket     INTEGER NOT NULL,                 -- 0 (opened), seconds rounded down (times), 1..5 (rating)
    n          INTEGER NOT NULL,
    PRIMARY KEY (metric, day, department, bucket)
) STRICT, WITHOUT ROWID;
INSERT INTO stats_series (metric, day, department, bucket, n)
SELECT 'opened', (opened_at / 86400000 - (opened_at % 86400000 < 0)), department, 0, count(*) FROM communications GROUP BY 2, 3;
INSERT INTO stats_series (metric, day, department, bucket, n)
SELECT 'first_response', (f.first_response_at / 86400000 - (f.first_response_at % 86400000 < 0)), c.department, (CASE WHEN f.first_response_s < 120 THEN f.first_response_s WHEN f.first_response_s < 1200 THEN f.first_response_s / 10 * 10 WHEN f.first_response_s < 12000 THEN f.first_response_s / 100 * 100 WHEN f.first_response_s < 120000 THEN f.first_response_s / 1000 * 1000 ELSE f.first_response_s / 10000 * 10000 END), count(*)
FROM comm_figures f JOIN communications c ON c.id = f.communication_id
WHERE f.first_response_at IS NOT NULL AND f.first_response_s IS NOT NULL GROUP BY 2, 3, 4;
INSERT INTO stats_series (metric, day, department, bucket, n)
SELECT 'resolution', (f.closed_at / 86400000 - (f.closed_at % 86400000 < 0)), c.department, (CASE WHEN f.resolution_s < 120 THEN f.resolution_s WHEN f.resolution_s < 1200 THEN f.resolution_s / 10 * 10 WHEN f.resolution_s < 12000 THEN f.resolution_s / 100 * 100 WHEN f.resolution_s < 120000 THEN f.resolution_s / 1000 * 1000 ELSE f.resolution_s / 10000 * 10000 END), count(*)
FROM comm_figures f JOIN communications c ON c.id = f.communication_id
WHERE f.closed_at IS NOT NULL AND f.resolution_s IS NOT NULL GROUP BY 2, 3, 4;
INSERT INTO stats_series (metric, day, department, bucket, n)
SELECT 'rating', (s.rated_at / 86400000 - (s.rated_at % 86400000 < 0)), c.department, s.rating, count(*)
FROM surveys s JOIN communications c ON c.id = s.communication_id
WHERE s.rated_at IS NOT NULL AND s.rating IS NOT NULL GROUP BY 2, 3, 4;
-- Requests: on the day they were opened, in their department (moved with it).
CREATE TRIGGER series_opened_insert AFTER INSERT ON communications
BEGIN
    INSERT INTO stats_series (metric, day, department, bucket, n)
    SELECT 'opened', (NEW.opened_at / 86400000 - (NEW.opened_at % 86400000 < 0)), NEW.department, 0, 1 WHERE true
    ON CONFLICT (metric, day, department, bucket) DO UPDATE SET n = n + excluded.n;
END;
CREATE TRIGGER series_opened_delete AFTER DELETE ON communications
BEGIN
    INSERT INTO stats_series (metric, day, department, bucket, n)
    SELECT 'opened', (OLD.opened_at / 86400000 - (OLD.opened_at % 86400000 < 0)), OLD.department, 0, -1 WHERE true
    ON CONFLICT (metric, day, department, bucket) DO UPDATE SET n = n + excluded.n;
END;
CREATE TRIGGER series_opened_update AFTER UPDATE OF department, opened_at ON communications
WHEN OLD.department IS NOT NEW.department OR OLD.opened_at IS NOT NEW.opened_at
BEGIN
    INSERT INTO stats_series (metric, day, department, bucket, n)
    SELECT 'opened', (OLD.opened_at / 86400000 - (OLD.opened_at % 86400000 < 0)), OLD.department, 0, -1 WHERE true
    ON CONFLICT (metric, day, department, bucket) DO UPDATE SET n = n + excluded.n;
    INSERT INTO stats_series (metric, day, department, bucket, n)
    SELECT 'opened', (NEW.opened_at / 86400000 - (NEW.opened_at % 86400000 < 0)), NEW.department, 0, 1 WHERE true
    ON CONFLICT (metric, day, department, bucket) DO UPDATE SET n = n + excluded.n;
END;
-- First responses: on the day given, in the request's department then.
CREATE TRIGGER series_first_response_insert AFTER INSERT ON comm_figures
WHEN NEW.first_response_at IS NOT NULL AND NEW.first_response_s IS NOT NULL
BEGIN
    INSERT INTO stats_series (metric, day, department, bucket, n)
    SELECT 'first_response', (NEW.first_response_at / 86400000 - (NEW.first_response_at % 86400000 < 0)), coalesce((SELECT department FROM communications WHERE id = NEW.communication_id), ''), (CASE WHEN NEW.first_response_s < 120 THEN NEW.first_response_s WHEN NEW.first_response_s < 1200 THEN NEW.first_response_s / 10 * 10 WHEN NEW.first_response_s < 12000 THEN NEW.first_response_s / 100 * 100 WHEN NEW.first_response_s < 120000 THEN NEW.first_response_s / 1000 * 1000 ELSE NEW.first_response_s / 10000 * 10000 END), 1 WHERE true
    ON CONFLICT (metric, day, department, bucket) DO UPDATE SET n = n + excluded.n;
END;
CREATE TRIGGER series_first_response_delete AFTER DELETE ON comm_figures
WHEN OLD.first_response_at IS NOT NULL AND OLD.first_response_s IS NOT NULL
BEGIN
    INSERT INTO stats_series (metric, day, department, bucket, n)
    SELECT 'first_response', (OLD.first_response_at / 86400000 - (OLD.first_response_at % 86400000 < 0)), coalesce((SELECT department FROM communications WHERE id = OLD.communication_id), ''), (CASE WHEN OLD.first_response_s < 120 THEN OLD.first_response_s WHEN OLD.first_response_s < 1200 THEN OLD.first_response_s / 10 * 10 WHEN OLD.first_response_s < 12000 THEN OLD.first_response_s / 100 * 100 WHEN OLD.first_response_s < 120000 THEN OLD.first_response_s / 1000 * 1000 ELSE OLD.first_response_s / 10000 * 10000 END), -1 WHERE true
    ON CONFLICT (metric, day, department, bucket) DO UPDATE SET n = n + excluded.n;
END;
CREATE TRIGGER series_first_response_update AFTER UPDATE OF first_response_at, first_response_s ON comm_figures
WHEN OLD.first_response_at IS NOT NEW.first_response_at OR OLD.first_response_s IS NOT NEW.first_response_s
BEGIN
    INSERT INTO stats_series (metric, day, department, bucket, n)
    SELECT 'first_response', (OLD.first_response_at / 86400000 - (OLD.first_response_at % 86400000 < 0)), coalesce((SELECT department FROM communications WHERE id = OLD.communication_id), ''), (CASE WHEN OLD.first_response_s < 120 THEN OLD.first_response_s WHEN OLD.first_response_s < 1200 THEN OLD.first_response_s / 10 * 10 WHEN OLD.first_response_s < 12000 THEN OLD.first_response_s / 100 * 100 WHEN OLD.first_response_s < 120000 THEN OLD.first_response_s / 1000 * 1000 ELSE OLD.first_response_s / 10000 * 10000 END), -1
    WHERE OLD.first_response_at IS NOT NULL AND OLD.first_response_s IS NOT NULL
    ON CONFLICT (metric, day, department, bucket) DO UPDATE SET n = n + excluded.n;
    INSERT INTO stats_series (metric, day, department, bucket, n)
    SELECT 'first_response', (NEW.first_response_at / 86400000 - (NEW.first_response_at % 86400000 < 0)), coalesce((SELECT department FROM communications WHERE id = NEW.communication_id), ''), (CASE WHEN NEW.first_response_s < 120 THEN NEW.first_response_s WHEN NEW.first_response_s < 1200 THEN NEW.first_response_s / 10 * 10 WHEN NEW.first_response_s < 12000 THEN NEW.first_response_s / 100 * 100 WHEN NEW.first_response_s < 120000 THEN NEW.first_response_s / 1000 * 1000 ELSE NEW.first_response_s / 10000 * 10000 END), 1
    WHERE NEW.first_response_at IS NOT NULL AND NEW.first_response_s IS NOT NULL
    ON CONFLICT (metric, day, department, bucket) DO UPDATE SET n = n + excluded.n;
END;
-- Resolutions: on the day of the close.
CREATE TRIGGER series_resolution_insert AFTER INSERT ON comm_figures
WHEN NEW.closed_at IS NOT NULL AND NEW.resolution_s IS NOT NULL
BEGIN
    INSERT INTO stats_series (metric, day, department, bucket, n)
    SELECT 'resolution', (NEW.closed_at / 86400000 - (NEW.closed_at % 86400000 < 0)), coalesce((SELECT department FROM communications WHERE id = NEW.communication_id), ''), (CASE WHEN NEW.resolution_s < 120 THEN NEW.resolution_s WHEN NEW.resolution_s < 1200 THEN NEW.resolution_s / 10 * 10 WHEN NEW.resolution_s < 12000 THEN NEW.resolution_s / 100 * 100 WHEN NEW.resolution_s < 120000 THEN NEW.resolution_s / 1000 * 1000 ELSE NEW.resolution_s / 10000 * 10000 END), 1 WHERE true
    ON CONFLICT (metric, day, department, bucket) DO UPDATE SET n = n + excluded.n;
END;
CREATE TRIGGER series_resolution_delete AFTER DELETE ON comm_figures
WHEN OLD.closed_at IS NOT NULL AND OLD.resolution_s IS NOT NULL
BEGIN
    INSERT INTO stats_series (metric, day, department, bucket, n)
    SELECT 'resolution', (OLD.closed_at / 86400000 - (OLD.closed_at % 86400000 < 0)), coalesce((SELECT department FROM communications WHERE id = OLD.communication_id), ''), (CASE WHEN OLD.resolution_s < 120 THEN OLD.resolution_s WHEN OLD.resolution_s < 1200 THEN OLD.resolution_s / 10 * 10 WHEN OLD.resolution_s < 12000 THEN OLD.resolution_s / 100 * 100 WHEN OLD.resolution_s < 120000 THEN OLD.resolution_s / 1000 * 1000 ELSE OLD.resolution_s / 10000 * 10000 END), -1 WHERE true
    ON CONFLICT (metric, day, department, bucket) DO UPDATE SET n = n + excluded.n;
END;
CREATE TRIGGER series_resolution_update AFTER UPDATE OF closed_at, resolution_s ON comm_figures
WHEN OLD.closed_at IS NOT NEW.closed_at OR OLD.resolution_s IS NOT NEW.resolution_s
BEGIN
    INSERT INTO stats_series (metric, day, department, bucket, n)
    SELECT 'resolution', (OLD.closed_at / 86400000 - (OLD.closed_at % 86400000 < 0)), coalesce((SELECT department FROM communications WHERE id = OLD.communication_id), ''), (CASE WHEN OLD.resolution_s < 120 THEN OLD.resolution_s WHEN OLD.resolution_s < 1200 THEN OLD.resolution_s / 10 * 10 WHEN OLD.resolution_s < 12000 THEN OLD.resolution_s / 100 * 100 WHEN OLD.resolution_s < 120000 THEN OLD.resolution_s / 1000 * 1000 ELSE OLD.resolution_s / 10000 * 10000 END), -1
    WHERE OLD.closed_at IS NOT NULL AND OLD.resolution_s IS NOT NULL
    ON CONFLICT (metric, day, department, bucket) DO UPDATE SET n = n + excluded.n;
    INSERT INTO stats_series (metric, day, department, bucket, n)
    SELECT 'resolution', (NEW.closed_at / 86400000 - (NEW.closed_at % 86400000 < 0)), coalesce((SELECT department FROM communications WHERE id = NEW.communication_id), ''), (CASE WHEN NEW.resolution_s < 120 THEN NEW.resolution_s WHEN NEW.resolution_s < 1200 THEN NEW.resolution_s / 10 * 10 WHEN NEW.resolution_s < 12000 THEN NEW.resolution_s / 100 * 100 WHEN NEW.resolution_s < 120000 THEN NEW.resolution_s / 1000 * 1000 ELSE NEW.resolution_s / 10000 * 10000 END), 1
    WHERE NEW.closed_at IS NOT NULL AND NEW.resolution_s IS NOT NULL
    ON CONFLICT (metric, day, department, bucket) DO UPDATE SET n = n + excluded.n;
END;
-- Ratings: on the day of the latest rating, by value.
CREATE TRIGGER series_rating_insert AFTER INSERT ON surveys
WHEN NEW.rated_at IS NOT NULL AND NEW.rating IS NOT NULL
BEGIN
    INSERT INTO stats_series (metric, day, department, bucket, n)
    SELECT 'rating', (NEW.rated_at / 86400000 - (NEW.rated_at % 86400000 < 0)), coalesce((SELECT department FROM communications WHERE id = NEW.communication_id), ''), NEW.rating, 1 WHERE true
    ON CONFLICT (metric, day, department, bucket) DO UPDATE SET n = n + excluded.n;
END;
CREATE TRIGGER series_rating_delete AFTER DELETE ON surveys
WHEN OLD.rated_at IS NOT NULL AND OLD.rating IS NOT NULL
BEGIN
    INSERT INTO stats_series (metric, day, department, bucket, n)
    SELECT 'rating', (OLD.rated_at / 86400000 - (OLD.rated_at % 86400000 < 0)), coalesce((SELECT department FROM communications WHERE id = OLD.communication_id), ''), OLD.rating, -1 WHERE true
    ON CONFLICT (metric, day, department, bucket) DO UPDATE SET n = n + excluded.n;
END;
CREATE TRIGGER series_rating_update AFTER UPDATE OF rated_at, rating ON surveys
WHEN OLD.rated_at IS NOT NEW.rated_at OR OLD.rating IS NOT NEW.rating
BEGIN
    INSERT INTO stats_series (metric, day, department, bucket, n)
    SELECT 'rating', (OLD.rated_at / 86400000 - (OLD.rated_at % 86400000 < 0)), coalesce((SELECT department FROM communications WHERE id = OLD.communication_id), ''), OLD.rating, -1
    WHERE OLD.rated_at IS NOT NULL AND OLD.rating IS NOT NULL
    ON CONFLICT (metric, day, department, bucket) DO UPDATE SET n = n + excluded.n;
    INSERT INTO stats_series (metric, day, department, bucket, n)
    SELECT 'rating', (NEW.rated_at / 86400000 - (NEW.rated_at % 86400000 < 0)), coalesce((SELECT department FROM communications WHERE id = NEW.communication_id), ''), NEW.rating, 1
    WHERE NEW.rated_at IS NOT NULL AND NEW.rating IS NOT NULL
    ON CONFLICT (metric, day, department, bucket) DO UPDATE SET n = n + excluded.n;
END;
"#;
