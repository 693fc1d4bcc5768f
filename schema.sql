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

-- migration 2: bookings and the SMS outbox

-- A resident's appointment. The manage token and check-in code are never
-- stored: only their SHA-256, and a random salt from which the service can
-- derive them again with its secret key (kept outside the database) to
-- resend a confirmation.
CREATE TABLE bookings (
	id           INTEGER PRIMARY KEY,
	reference    TEXT NOT NULL UNIQUE,
	site_id      TEXT NOT NULL,
	service_code TEXT NOT NULL,
	start_at     INTEGER NOT NULL,
	end_at       INTEGER NOT NULL CHECK (end_at > start_at),
	name         TEXT NOT NULL,
	phone        TEXT NOT NULL,
	email        TEXT NOT NULL DEFAULT '',
	needs        TEXT NOT NULL DEFAULT '{}',
	people       INTEGER NOT NULL DEFAULT 1 CHECK (people BETWEEN 1 AND 10),
	channel      TEXT NOT NULL CHECK (channel IN ('online', 'phone', 'reception')),
	status       TEXT NOT NULL CHECK (status IN ('booked', 'cancelled', 'checked_in', 'seen', 'no_show')),
	salt         BLOB NOT NULL,
	manage_hash  BLOB NOT NULL,
	checkin_hash BLOB NOT NULL UNIQUE,
	sequence     INTEGER NOT NULL DEFAULT 0,
	created_by   TEXT NOT NULL,
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL,
	FOREIGN KEY (site_id, service_code) REFERENCES services(site_id, code)
) STRICT;
-- Places taken in a slot: every booking that is not cancelled holds one.
CREATE INDEX bookings_slot ON bookings(site_id, service_code, start_at) WHERE status <> 'cancelled';
CREATE INDEX bookings_phone ON bookings(phone, start_at);
CREATE INDEX bookings_day ON bookings(site_id, start_at);

-- Every SMS, written in the same transaction as the change that causes it.
-- dedupe_key (booking or ticket + purpose + version) makes a purpose queue at most once.
CREATE TABLE messages (
	id           INTEGER PRIMARY KEY,
	dedupe_key   TEXT NOT NULL UNIQUE,
	purpose      TEXT NOT NULL,
	site_id      TEXT,
	booking_id   INTEGER REFERENCES bookings(id),
	ticket_id    INTEGER,
	recipient    TEXT NOT NULL,
	body         TEXT NOT NULL,
	status       TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sending', 'sent', 'delivered', 'failed', 'not_sent')),
	status_note  TEXT NOT NULL DEFAULT '',
	attempts     INTEGER NOT NULL DEFAULT 0,
	send_after   INTEGER NOT NULL,
	provider_id  TEXT,
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX messages_due ON messages(status, send_after);
CREATE INDEX messages_recipient ON messages(recipient, created_at);
