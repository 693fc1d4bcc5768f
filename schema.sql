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

-- migration 3: the visit queue: tickets, their event log, desk sessions

-- One visit in the queue. The standards' targets are copied on at arrival so
-- a later change of setting never rewrites how a past visit is judged.
CREATE TABLE tickets (
	id                    INTEGER PRIMARY KEY,
	site_id               TEXT NOT NULL REFERENCES sites(id),
	service_code          TEXT NOT NULL,
	local_day             TEXT NOT NULL,            -- YYYY-MM-DD in the site's zone, of arrival
	letter                TEXT NOT NULL,
	seq                   INTEGER NOT NULL,
	number                TEXT NOT NULL,            -- letter + sequence, e.g. H012
	kind                  TEXT NOT NULL CHECK (kind IN ('appointment', 'walk_in')),
	channel               TEXT NOT NULL,            -- online, phone, reception, or walk_in
	booking_id            INTEGER UNIQUE REFERENCES bookings(id),
	priority              INTEGER NOT NULL DEFAULT 0 CHECK (priority IN (0, 1)),
	phone                 TEXT NOT NULL DEFAULT '', -- a walk-in's optional mobile, for a text when called
	appointment_at        INTEGER,
	arrived_at            INTEGER NOT NULL,
	due_at                INTEGER NOT NULL,
	appointment_target_s  INTEGER NOT NULL,
	first_contact_s       INTEGER NOT NULL,
	walk_in_target_s      INTEGER NOT NULL,
	status                TEXT NOT NULL CHECK (status IN ('waiting', 'called', 'serving', 'done', 'no_show', 'withdrawn')),
	desk_id               TEXT,
	first_called_at       INTEGER,
	called_at             INTEGER,
	recalls               INTEGER NOT NULL DEFAULT 0,
	started_at            INTEGER,
	finished_at           INTEGER,
	outcome               TEXT NOT NULL DEFAULT '' CHECK (outcome IN ('', 'resolved', 'not_resolved')),
	follow_up             INTEGER NOT NULL DEFAULT 0 CHECK (follow_up IN (0, 1)),
	estimate_s            INTEGER,                  -- the wait the visitor was told on arrival
	position_at_arrival   INTEGER,
	offered               INTEGER NOT NULL DEFAULT 0 CHECK (offered IN (0, 1)),
	offer_response        TEXT NOT NULL DEFAULT '' CHECK (offer_response IN ('', 'accepted', 'declined')),
	delayed_at            INTEGER,
	transfers             INTEGER NOT NULL DEFAULT 0,
	updated_at            INTEGER NOT NULL,
	UNIQUE (site_id, local_day, letter, seq),
	FOREIGN KEY (site_id, service_code) REFERENCES services(site_id, code),
	CHECK (status NOT IN ('called', 'serving') OR desk_id IS NOT NULL) -- done tickets keep the desk that served them
) STRICT;
CREATE INDEX tickets_waiting ON tickets(site_id, status, due_at);
CREATE INDEX tickets_day ON tickets(site_id, local_day);
-- A desk has at most one visit open at a time.
CREATE UNIQUE INDEX tickets_desk_open ON tickets(desk_id) WHERE status IN ('called', 'serving');

-- Every change to a ticket, in order: what lobby screens replay, what reports and the audit read.
CREATE TABLE ticket_events (
	id        INTEGER PRIMARY KEY,
	site_id   TEXT NOT NULL,
	ticket_id INTEGER NOT NULL REFERENCES tickets(id),
	kind      TEXT NOT NULL,
	at        INTEGER NOT NULL,
	desk_id   TEXT,
	actor     TEXT NOT NULL,
	data      TEXT NOT NULL DEFAULT '{}'
) STRICT;
CREATE INDEX ticket_events_site ON ticket_events(site_id, id);
CREATE INDEX ticket_events_ticket ON ticket_events(ticket_id);

-- Which desks are staffed: the wait estimate counts open desks only.
CREATE TABLE desk_sessions (
	desk_id    TEXT PRIMARY KEY,
	site_id    TEXT NOT NULL,
	open       INTEGER NOT NULL CHECK (open IN (0, 1)),
	changed_at INTEGER NOT NULL,
	actor      TEXT NOT NULL
) STRICT;

-- migration 4: SMS sending: claims, retries, delivery, opt-outs, reminders, satisfaction

-- The sender claims a message (status sending) in a committed transaction
-- before it calls Twilio, and records the answer after. claimed_at is the
-- real (provider's) time of the claim, not the service clock's: a message
-- whose result is unknown is looked up at Twilio by it. claimed_by names the
-- sender that holds the claim, so a restarted process knows which claims
-- were left by a dead one. check_from, when set, says an earlier attempt may
-- have reached Twilio: look for it there (from that real time) before
-- sending again. provider_status is Twilio's last reported status.
ALTER TABLE messages ADD COLUMN claimed_at INTEGER;
ALTER TABLE messages ADD COLUMN claimed_by TEXT;
ALTER TABLE messages ADD COLUMN check_from INTEGER;
ALTER TABLE messages ADD COLUMN sent_at INTEGER;
ALTER TABLE messages ADD COLUMN provider_status TEXT NOT NULL DEFAULT '';
CREATE INDEX messages_provider ON messages(provider_id) WHERE provider_id IS NOT NULL;

-- Numbers that replied STOP (or another opt-out word): they get nothing
-- more until they reply START. Kept past the retention period: it is what
-- stops a returning resident being texted against their wish.
CREATE TABLE sms_opt_outs (
	phone   TEXT PRIMARY KEY, -- E.164
	keyword TEXT NOT NULL,
	at      INTEGER NOT NULL
) STRICT;

-- Per-site SMS settings; a site without a row has the defaults (all off).
CREATE TABLE sms_settings (
	site_id               TEXT PRIMARY KEY REFERENCES sites(id),
	satisfaction_question INTEGER NOT NULL DEFAULT 0 CHECK (satisfaction_question IN (0, 1)),
	updated_at            INTEGER NOT NULL
) STRICT;

-- Replies 1-5 to the post-visit question, one per question (a later reply
-- replaces an earlier one). No phone number: the score outlives the person's data.
CREATE TABLE satisfaction_scores (
	message_id INTEGER PRIMARY KEY REFERENCES messages(id),
	site_id    TEXT,
	ticket_id  INTEGER,
	score      INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
	at         INTEGER NOT NULL
) STRICT;

-- The booking sequence whose reminder has been decided (queued, or not due
-- to anyone: a landline, booked too late); a move raises the sequence, so
-- the new time gets its own reminder.
ALTER TABLE bookings ADD COLUMN reminded_seq INTEGER;
CREATE INDEX bookings_upcoming ON bookings(start_at) WHERE status = 'booked';

-- migration 5: site-wide events such as a desk's emergency alert belong to no ticket

CREATE TABLE ticket_events_new (
	id        INTEGER PRIMARY KEY,
	site_id   TEXT NOT NULL,
	ticket_id INTEGER REFERENCES tickets(id), -- NULL for events about the site, not a visit
	kind      TEXT NOT NULL,
	at        INTEGER NOT NULL,
	desk_id   TEXT,
	actor     TEXT NOT NULL,
	data      TEXT NOT NULL DEFAULT '{}'
) STRICT;
INSERT INTO ticket_events_new(id, site_id, ticket_id, kind, at, desk_id, actor, data)
	SELECT id, site_id, ticket_id, kind, at, desk_id, actor, data FROM ticket_events;
DROP TABLE ticket_events;
ALTER TABLE ticket_events_new RENAME TO ticket_events;
CREATE INDEX ticket_events_site ON ticket_events(site_id, id);
CREATE INDEX ticket_events_ticket ON ticket_events(ticket_id);

-- migration 6: retention: personal data erased once the retention period ends

-- When the retention job blanked a booking's name, phone, email and needs.
-- The partial indexes keep the hourly job's search for what is due cheap:
-- each holds only rows that still carry personal data.
ALTER TABLE bookings ADD COLUMN erased_at INTEGER;
CREATE INDEX bookings_unerased ON bookings(end_at) WHERE erased_at IS NULL;
CREATE INDEX tickets_with_phone ON tickets(arrived_at) WHERE phone <> '';
CREATE INDEX ticket_events_emergency ON ticket_events(at) WHERE kind = 'emergency';

-- migration 7: audit trail: who did what to which booking, token, user or setting

-- Append-only: the triggers refuse any UPDATE or DELETE. Ticket changes are
-- not copied here: the audit view reads ticket_events (which already names
-- the actor), so nothing is written twice. No column holds personal data
-- (subject is a booking reference or an id; detail holds times, codes and
-- roles), so the retention job never has a reason to touch a row.
CREATE TABLE audit (
	id      INTEGER PRIMARY KEY,
	at      INTEGER NOT NULL,
	actor   TEXT NOT NULL,              -- Principal.Label(), or public, resident, resident:sms, cli
	action  TEXT NOT NULL,              -- e.g. booking.created, token.revoked, setup.hours
	site_id TEXT,                       -- NULL for changes that belong to no one site
	subject TEXT NOT NULL DEFAULT '',   -- e.g. booking:HOU-7QK2, token:4, user:2
	detail  TEXT NOT NULL DEFAULT '{}'
) STRICT;
CREATE INDEX audit_site_at ON audit(site_id, at);
CREATE INDEX audit_at ON audit(at);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
	SELECT RAISE(ABORT, 'audit rows are append-only');
END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
	SELECT RAISE(ABORT, 'audit rows are append-only');
END;

-- migration 8: desks taken out of use

-- A desk taken out of use keeps its row, so that past visits still name the
-- desk that served them and its id is never given to another desk; the desk
-- lists that the queue, the consoles and the API read leave it out.
ALTER TABLE desks ADD COLUMN retired_at INTEGER;

-- migration 9: the wait forecast reads the last week's service times without scanning the years before

CREATE INDEX tickets_finished ON tickets(site_id, finished_at) WHERE status = 'done';

-- migration 10: closed days' standards, kept once worked out

-- A closed day's figures never change (its tickets are finished and carry
-- the targets they are judged by), so the standards report keeps each here
-- and reads a year as 365 rows instead of a third of a million tickets.
-- rules is the version of the judging that worked a row out: a release that
-- judges differently raises it, and older rows are worked out again.
-- No personal data: counts, waits in milliseconds, service codes, channels.
CREATE TABLE standards_days (
	site_id TEXT NOT NULL,
	day     TEXT NOT NULL,
	rules   INTEGER NOT NULL,
	summary TEXT NOT NULL,
	PRIMARY KEY (site_id, day)
) STRICT;
