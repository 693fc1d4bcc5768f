package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The bench command runs every step against the real server, over an empty
// database and then over generated history (three days of it here), and
// prints each figure and each target's verdict. Its figures are not asserted (timing has
// no place in an ordinary test); that it measures what it says is.
func TestBenchCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("the bench command starts a server and a year of data")
	}
	prof := t.TempDir()
	var out, errs bytes.Buffer
	err := run(context.Background(), []string{"bench", "--requests", "60", "--clients", "4", "--screens", "20", "--rounds", "3",
		"--year-days", "3", "--profile", prof}, &out, &errs)
	if err != nil {
		t.Fatalf("bench: %v\n%s%s", err, out.String(), errs.String())
	}
	got := out.String()
	t.Log("\n" + got)
	for _, step := range []string{stepTrivial, stepSlots, stepRaw, stepBooking, stepCallNext, stepCheckIn, stepReport1, stepReportKp, stepReport} {
		// Each step's row has a rate and two latencies: numbers, not blanks or NaN.
		row := regexp.MustCompile(regexp.QuoteMeta(step) + `\s+\d+\s+[\d,]+\s+\d+\.\d\d\s+\d+\.\d\d`)
		if !row.MatchString(got) {
			t.Errorf("no figures for %q", step)
		}
	}
	for _, want := range []string{
		"added a year of visits",
		"2,055 bookings, ", // 3 days × 685
		"empty database: req/s",
		"after a year: req/s",
		"after a year:\n  booking / raw SQLite",
		"lobby stream, 20 screens on one site, 3 calls each way",
		"hub publish → last screen: p50",
		"desk presses call-next → last screen: p50",
		"booking / raw SQLite at 4 clients:",
		"slots GET / trivial handler at 4 clients:",
		"standards report over the year (target < 1 s): first",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the output lacks %q", want)
		}
	}
	for _, name := range []string{"empty-post-api-v1-bookings-4-part1.pprof", "empty-call-next.pprof", "stream.pprof"} {
		if fi, err := os.Stat(filepath.Join(prof, name)); err != nil || fi.Size() == 0 {
			t.Errorf("profile %s: %v", name, err)
		}
	}
	if strings.Contains(got, "NaN") || strings.Contains(got, "Inf") {
		t.Errorf("a figure is not a number:\n%s", got)
	}
}

func TestBenchCommandFlags(t *testing.T) {
	for _, args := range [][]string{
		{"bench", "--clients", "0"},
		{"bench", "--clients", "16,x"},
		{"bench", "--requests", "5"},
		{"bench", "--screens", "0"},
	} {
		var out, errs bytes.Buffer
		if err := run(context.Background(), args, &out, &errs); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
