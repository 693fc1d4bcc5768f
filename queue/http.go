package queue

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"frontdoor/booking"
	"frontdoor/web"
)

// Routes adds the queue API. create wraps POSTs that create something.
func (q *Queue) Routes(r chi.Router, create func(http.Handler) http.Handler) {
	r.With(create).Post("/api/v1/checkins", q.handleCheckin)
	r.With(create).Post("/api/v1/sites/{site}/tickets", q.handleTicket)
	r.Get("/api/v1/sites/{site}/queue", q.handleBoard)
	r.Get("/api/v1/sites/{site}/reports/standards", q.handleReport)
	r.Post("/api/v1/desks/{desk}/call-next", q.handleCallNext)
	r.Post("/api/v1/desks/{desk}/open", q.handleDesk(true))
	r.Post("/api/v1/desks/{desk}/close", q.handleDesk(false))
	r.Get("/api/v1/tickets/{id}", q.handleGetTicket)
	for path, kind := range map[string]string{"recall": "recall", "start": "start", "finish": "finish", "no-show": "no_show",
		"transfer": "transfer", "decline-offer": "decline_offer"} {
		r.Post("/api/v1/tickets/{id}/"+path, q.handleAction(kind))
	}
	r.With(create).Post("/api/v1/tickets/{id}/accept-offer", q.handleAcceptOffer)
}

func answer(w http.ResponseWriter, r *http.Request, status int, v any, err error) {
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, status, v)
}

func (q *Queue) handleCheckin(w http.ResponseWriter, r *http.Request) {
	var in CheckinInput
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	a, err := q.CheckIn(r.Context(), in)
	answer(w, r, http.StatusCreated, a, err)
}

func (q *Queue) handleTicket(w http.ResponseWriter, r *http.Request) {
	var in WalkInInput
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	a, err := q.TakeTicket(r.Context(), chi.URLParam(r, "site"), in)
	answer(w, r, http.StatusCreated, a, err)
}

func (q *Queue) handleBoard(w http.ResponseWriter, r *http.Request) {
	b, err := q.Board(r.Context(), chi.URLParam(r, "site"))
	answer(w, r, http.StatusOK, b, err)
}

func (q *Queue) handleCallNext(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Service string `json:"service"`
	}
	if err := web.DecodeOptionalJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	t, err := q.CallNext(r.Context(), chi.URLParam(r, "desk"), in.Service)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	if t == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"ticket": t})
}

func (q *Queue) handleDesk(open bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		err := q.SetDeskOpen(r.Context(), chi.URLParam(r, "desk"), open)
		answer(w, r, http.StatusOK, map[string]any{"desk": chi.URLParam(r, "desk"), "open": open}, err)
	}
}

func (q *Queue) handleGetTicket(w http.ResponseWriter, r *http.Request) {
	t, err := q.Get(r.Context(), chi.URLParam(r, "id"))
	answer(w, r, http.StatusOK, map[string]any{"ticket": t}, err)
}

func (q *Queue) handleAction(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a := Action{Kind: kind}
		if kind == "finish" || kind == "transfer" {
			var in struct {
				Outcome  string `json:"outcome"`
				FollowUp bool   `json:"follow_up"`
				Service  string `json:"service"`
			}
			if err := web.DecodeOptionalJSON(w, r, &in); err != nil {
				web.WriteError(w, r, err)
				return
			}
			a.Outcome, a.FollowUp, a.Service = in.Outcome, in.FollowUp, in.Service
		}
		t, err := q.Act(r.Context(), chi.URLParam(r, "id"), a)
		answer(w, r, http.StatusOK, map[string]any{"ticket": t}, err)
	}
}

func (q *Queue) handleAcceptOffer(w http.ResponseWriter, r *http.Request) {
	var in booking.Input
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	c, err := q.AcceptOffer(r.Context(), chi.URLParam(r, "id"), in)
	answer(w, r, http.StatusCreated, c, err)
}

func (q *Queue) handleReport(w http.ResponseWriter, r *http.Request) {
	rep, err := q.StandardsReport(r.Context(), chi.URLParam(r, "site"), r.URL.Query().Get("from"), r.URL.Query().Get("to"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	if r.URL.Query().Get("format") != "csv" {
		web.WriteJSON(w, http.StatusOK, rep)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="standards-%s-%s-to-%s.csv"`, rep.Site, rep.From, rep.To))
	cw := csv.NewWriter(w)
	cw.Write([]string{"scope", "key", "standard", "visits", "within", "percent", "median_wait_minutes", "p90_wait_minutes", "no_shows"})
	row := func(scope, key string, s Standards) {
		for _, st := range []struct {
			name string
			s    Standard
		}{{"appointments", s.Appointments}, {"walk_in_first_contact", s.WalkInFirstContact}, {"walk_ins", s.WalkIns}} {
			cw.Write([]string{scope, key, st.name, strconv.Itoa(st.s.Visits), strconv.Itoa(st.s.Within), num(st.s.Percent),
				num(st.s.MedianMinutes), num(st.s.P90Minutes), strconv.Itoa(s.NoShows)})
		}
	}
	row("total", rep.Site, rep.Standards)
	for _, s := range rep.Services {
		row("service", s.Service, s.Standards)
	}
	for _, d := range rep.Days {
		row("day", d.Date, d.Standards)
	}
	cw.Flush()
}

func num(p *float64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatFloat(*p, 'f', 1, 64)
}
