-- Frontdoor schema: every table, index and constraint.
--
-- The file is a list of migrations. Each starts with a line "-- migration N: what"
-- and runs once, in order, inside one transaction; PRAGMA user_version records the
-- last one applied. A migration that has landed is never edited: add a new one.
-- Times are stored as INTEGER Unix milliseconds in UTC unless the column name says
-- otherwise (local wall-clock values such as "09:00" are TEXT, in the site's zone).

-- migration 1: sites, services, desks, hours, staff, tokens, idempotency, settings

CREATE TABLE settings (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) STRICT;

CREATE TABLE sites (
	id                     TEXT PRIMARY KEY,
	name                   TEXT NOT NULL,
	address                TEXT NOT NULL,
	timezone               TEXT NOT NULL,
	display_token_required INTEGER NOT NULL DEFAULT 0 CHECK (display_token_required IN (0, 1)),
	created_at             INTEGER NOT NULL
) STRICT;

CREATE TABLE services (
	site_id                       TEXT NOT NULL REFERENCES sites(id),
	code                          TEXT NOT NULL,
	name                          TEXT NOT NULL,
	duration_minutes              INTEGER NOT NULL CHECK (duration_minutes > 0),
	ticket_prefix                 TEXT NOT NULL,
	bookable                      INTEGER NOT NULL CHECK (bookable IN (0, 1)),
	walk_in                       INTEGER NOT NULL CHECK (walk_in IN (0, 1)),
	appointment_target_minutes    INTEGER NOT NULL CHECK (appointment_target_minutes > 0),
	walk_in_first_contact_minutes INTEGER NOT NULL CHECK (walk_in_first_contact_minutes > 0),
	walk_in_target_minutes        INTEGER NOT NULL CHECK (walk_in_target_minutes > 0),
	min_notice_minutes            INTEGER NOT NULL CHECK (min_notice_minutes >= 0),
	horizon_days                  INTEGER NOT NULL CHECK (horizon_days > 0),
	position                      INTEGER NOT NULL,
	PRIMARY KEY (site_id, code)
) STRICT;

CREATE TABLE desks (
	site_id  TEXT NOT NULL REFERENCES sites(id),
	id       TEXT NOT NULL,
	name     TEXT NOT NULL,
	position INTEGER NOT NULL,
	PRIMARY KEY (site_id, id)
) STRICT;

-- Desk ids are unique across sites so that /api/v1/desks/{desk} names one desk.
CREATE UNIQUE INDEX desks_id ON desks(id);

CREATE TABLE desk_services (
	site_id      TEXT NOT NULL,
	desk_id      TEXT NOT NULL,
	service_code TEXT NOT NULL,
	PRIMARY KEY (site_id, desk_id, service_code),
	FOREIGN KEY (site_id, desk_id) REFERENCES desks(site_id, id) ON DELETE CASCADE,
	FOREIGN KEY (site_id, service_code) REFERENCES services(site_id, code)
) STRICT;

-- Weekly opening hours: a site may open in several bands a day (a lunch closure).
-- weekday is 0 (Sunday) to 6 (Saturday), as Go's time.Weekday; open/close "HH:MM" local.
CREATE TABLE opening_hours (
	site_id TEXT NOT NULL REFERENCES sites(id),
	weekday INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
	open    TEXT NOT NULL,
	close   TEXT NOT NULL CHECK (close > open),
	PRIMARY KEY (site_id, weekday, open)
) STRICT;

-- Dated closures; a part-day closure has from/to ("HH:MM" local), a whole day has neither.
CREATE TABLE closures (
	site_id TEXT NOT NULL REFERENCES sites(id),
	day     TEXT NOT NULL,
	from_time TEXT,
	to_time   TEXT,
	reason  TEXT NOT NULL DEFAULT '',
	CHECK ((from_time IS NULL) = (to_time IS NULL)),
	CHECK (to_time IS NULL OR to_time > from_time)
) STRICT;
CREATE INDEX closures_site_day ON closures(site_id, day);

-- Appointment capacity: how many appointments of a service can run at once in a weekly band.
CREATE TABLE capacity_bands (
	site_id      TEXT NOT NULL,
	service_code TEXT NOT NULL,
	weekday      INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
	from_time    TEXT NOT NULL,
	to_time      TEXT NOT NULL CHECK (to_time > from_time),
	parallel     INTEGER NOT NULL CHECK (parallel > 0),
	PRIMARY KEY (site_id, service_code, weekday, from_time),
	FOREIGN KEY (site_id, service_code) REFERENCES services(site_id, code)
) STRICT;

CREATE TABLE users (
	id            INTEGER PRIMARY KEY,
	name          TEXT NOT NULL UNIQUE COLLATE NOCASE,
	role          TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'reception', 'officer')),
	site_id       TEXT REFERENCES sites(id),
	password_hash TEXT NOT NULL,
	created_at    INTEGER NOT NULL,
	disabled_at   INTEGER
) STRICT;

-- Bearer tokens for staff integrations and devices; only a SHA-256 of the token is kept.
CREATE TABLE tokens (
	id         INTEGER PRIMARY KEY,
	hash       BLOB NOT NULL UNIQUE,
	name       TEXT NOT NULL,
	role       TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'reception', 'officer', 'device')),
	site_id    TEXT REFERENCES sites(id),
	created_at INTEGER NOT NULL,
	revoked_at INTEGER,
	CHECK (role <> 'device' OR site_id IS NOT NULL)
) STRICT;

CREATE TABLE sessions (
	hash       BLOB PRIMARY KEY,
	user_id    INTEGER NOT NULL REFERENCES users(id),
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX sessions_user ON sessions(user_id);

-- Answers to POSTs that carried an Idempotency-Key, replayed for 24 hours.
-- status 0 means the first request is still being handled.
CREATE TABLE idempotency_keys (
	scope        TEXT NOT NULL,
	key          TEXT NOT NULL,
	request_hash BLOB NOT NULL,
	status       INTEGER NOT NULL DEFAULT 0,
	content_type TEXT NOT NULL DEFAULT '',
	body         BLOB,
	created_at   INTEGER NOT NULL,
	PRIMARY KEY (scope, key)
) STRICT;
CREATE INDEX idempotency_keys_created ON idempotency_keys(created_at);
