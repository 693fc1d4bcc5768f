package queue

import (
	"os"
	"strings"
	"testing"
)

// FuzzReadScenario: a scenario file is read and simulated without a panic;
// a bad one is an error, not a crash or a hang.
func FuzzReadScenario(f *testing.F) {
	if b, err := os.ReadFile("testdata/busy-day.json"); err == nil {
		f.Add(string(b))
	}
	for _, s := range []string{
		`{"timezone":"Europe/London","day":"2026-12-01","services":[{"code":"HOU","ticket_prefix":"H"}],
		  "desks":[{"id":"d1","services":["HOU"],"open":"09:00","close":"17:00"}],
		  "visits":[{"id":"v1","service":"HOU","kind":"appointment","appointment":"09:00","arrive":"08:55","service_minutes":12.5},
		            {"id":"v2","service":"HOU","kind":"walk_in","arrive":"09:01","service_minutes":3,"priority":true}]}`,
		`{"timezone":"Europe/London","day":"2026-03-29","services":[{"code":"HOU"}],
		  "desks":[{"id":"d1","services":["HOU"],"open":"00:30","close":"03:00"}],
		  "visits":[{"id":"v1","service":"HOU","kind":"walk_in","arrive":"01:30","service_minutes":1}]}`,
		`{"timezone":"Europe/London","day":"2026-10-25","services":[{"code":"HOU"}],
		  "desks":[{"id":"d1","services":["HOU"],"open":"01:00","close":"01:59:59"}],
		  "visits":[{"id":"v1","service":"HOU","kind":"walk_in","arrive":"01:30:00","service_minutes":1e9}]}`,
		`{"timezone":"Mars/Olympus","day":"2026-13-01"}`, `{"visits":[{"service_minutes":"long"}]}`, `{"bogus":1}`,
		`{"timezone":"Europe/London","day":"2026-12-01","services":[{"code":"HOU","walk_in_target_minutes":-5}],"desks":[],"visits":[]}`,
		`{} {}`, `{`, `[]`, ``, "\n\n  {\"day\": 2026}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		sc, err := ReadScenario(strings.NewReader(data))
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an error without a message")
			}
			return
		}
		// A long or huge day is refused by the scenario's checks or simply
		// simulated; only a panic fails (the fuzzer's timeout catches a hang).
		Simulate(sc, DefaultPolicy)
	})
}
