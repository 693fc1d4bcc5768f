package booking

import (
	"context"
	"database/sql"
	"time"

	"frontdoor/audit"
)

// audit records, in the change's own transaction, what was done to booking
// b: by the request's principal, or fallback ("public" books, "resident"
// holds the manage link). The reference and times only: no personal data.
func (s *Store) audit(ctx context.Context, tx *sql.Tx, now time.Time, fallback, action string, b Booking, detail map[string]any) error {
	return audit.Record(ctx, tx, now, audit.Entry{Actor: audit.Actor(ctx, fallback), Action: action, Site: b.Site,
		Subject: "booking:" + b.Reference, Detail: detail})
}

// auditSetup records a change to a site's setup (services, desks, hours,
// capacity) in the change's transaction.
func auditSetup(ctx context.Context, tx *sql.Tx, now time.Time, action, site, subject string) error {
	return audit.Record(ctx, tx, now, audit.Entry{Action: action, Site: site, Subject: subject})
}
