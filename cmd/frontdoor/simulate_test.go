package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The scenario in API.md, "Simulation scenario".
const apiScenario = `{"timezone":"Europe/London","day":"2026-12-01",
 "services":[{"code":"HOU","ticket_prefix":"H","appointment_target_minutes":10,"walk_in_first_contact_minutes":10,"walk_in_target_minutes":30}],
 "desks":[{"id":"d1","services":["HOU"],"open":"09:00","close":"17:00"}],
 "visits":[{"id":"v1","service":"HOU","kind":"appointment","appointment":"09:00","arrive":"08:55","service_minutes":18},
           {"id":"v2","service":"HOU","kind":"walk_in","arrive":"09:03","service_minutes":7,"priority":false}]}`

func writeScenario(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "day.json")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func runSimulate(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), append([]string{"simulate"}, args...), &stdout, &stderr)
	return stdout.String(), stderr.String(), err
}

// The values worked by hand: the desk opens at 09:00 and calls v1 (there
// since 08:55) at once; v2 arrives at 09:03, is told 7 minutes (v1 is
// expected to take the default 10), waits until v1 is done at 09:18.
func TestSimulateCommandAPIExample(t *testing.T) {
	stdout, _, err := runSimulate(t, "--scenario", writeScenario(t, apiScenario))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout, "\n  \"visits\": [\n") || !strings.HasSuffix(stdout, "}\n") {
		t.Errorf("want indented JSON ending in a newline:\n%s", stdout)
	}
	var res struct {
		Visits []struct {
			ID        string   `json:"id"`
			Ticket    string   `json:"ticket"`
			Called    *string  `json:"called"`
			Desk      *string  `json:"desk"`
			Waited    *float64 `json:"waited_minutes"`
			Within    bool     `json:"within_standard"`
			Estimated *float64 `json:"estimated_wait_minutes"`
		} `json:"visits"`
		Standards map[string]struct {
			Visits, Within int
			Percent        float64
		} `json:"standards"`
		Estimates struct {
			MAE float64 `json:"mean_absolute_error_minutes"`
		} `json:"estimates"`
	}
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("%v in\n%s", err, stdout)
	}
	want := []struct {
		id, ticket, called string
		waited, estimated  float64
	}{{"v1", "H001", "09:00:00", 0, 0}, {"v2", "H002", "09:18:00", 15, 7}}
	if len(res.Visits) != 2 {
		t.Fatalf("%d visits", len(res.Visits))
	}
	for i, w := range want {
		v := res.Visits[i]
		if v.ID != w.id || v.Ticket != w.ticket || v.Called == nil || *v.Called != w.called || v.Desk == nil || *v.Desk != "d1" ||
			*v.Waited != w.waited || !v.Within || *v.Estimated != w.estimated {
			t.Errorf("visit %d: %+v, want %+v", i, v, w)
		}
	}
	for name, want := range map[string][3]float64{"appointments": {1, 1, 100}, "walk_in_first_contact": {1, 0, 0}, "walk_ins": {1, 1, 100}} {
		if s := res.Standards[name]; float64(s.Visits) != want[0] || float64(s.Within) != want[1] || s.Percent != want[2] {
			t.Errorf("%s: %+v, want %v", name, s, want)
		}
	}
	if res.Estimates.MAE != 4 {
		t.Errorf("mean absolute error %v, want 4 (|0-0| and |7-15|)", res.Estimates.MAE)
	}
	// v1 is printed as API.md shows it.
	if !strings.Contains(stdout, `"waited_minutes": 0.0,`) {
		t.Errorf("waited_minutes not written with one decimal:\n%s", stdout)
	}
}

func TestSimulateCommandCompare(t *testing.T) {
	path := writeScenario(t, apiScenario)
	stdout, _, err := runSimulate(t, "--scenario", path, "--compare")
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]map[string]json.RawMessage
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"default", "edf", "fifo"} {
		if got[name]["standards"] == nil || got[name]["waits"] == nil || got[name]["visits"] != nil {
			t.Errorf("%s: %v", name, got[name])
		}
	}
	again, _, _ := runSimulate(t, "--compare", "--scenario", path)
	if again != stdout {
		t.Error("the same day printed differently twice")
	}
	fifo, _, err := runSimulate(t, "--scenario", path, "--policy", "fifo")
	if err != nil || !strings.Contains(fifo, `"policy": "fifo"`) {
		t.Errorf("--policy fifo: %v\n%s", err, fifo)
	}
}

func TestSimulateCommandErrors(t *testing.T) {
	bad := strings.Replace(apiScenario, `"arrive":"09:03"`, `"arrive":"25:00"`, 1)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no scenario", nil, "--scenario FILE.json"},
		{"missing file", []string{"--scenario", filepath.Join(t.TempDir(), "nope.json")}, "no such file"},
		{"not JSON", []string{"--scenario", writeScenario(t, "visits: []")}, "is not valid JSON: line 1, column 1"},
		{"bad time", []string{"--scenario", writeScenario(t, bad)}, `visits[1] (v2).arrive: "25:00" is not a time of day`},
		{"unknown policy", []string{"--scenario", writeScenario(t, apiScenario), "--policy", "lifo"}, `--policy "lifo" is not a policy`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			stdout, _, err := runSimulate(t, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want it to contain %q", err, tc.want)
			}
			if stdout != "" {
				t.Errorf("printed %q on failure", stdout)
			}
		})
	}
}
