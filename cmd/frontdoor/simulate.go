package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"frontdoor/queue"
)

// simulatePolicies are the policies --compare plays, in the order people read them.
var simulatePolicies = []string{"default", "edf", "fifo"}

// simulateCommand plays a day from a scenario file through the queue's
// calling policy and wait estimates on a virtual clock (no database) and
// prints the result as JSON.
func simulateCommand(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("simulate", "Plays a day (a scenario file, see API.md) through the queue rules on a virtual clock\nand prints each visit and the standards met as JSON. Needs no database.", stderr)
	path := fs.String("scenario", "", "the scenario file, JSON (required)")
	policy := fs.String("policy", "default", "calling policy: default, edf or fifo")
	compare := fs.Bool("compare", false, "play the day under every policy and print each one's standards, estimates and waits")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *path == "" {
		return fmt.Errorf("simulate: say which day to play with --scenario FILE.json")
	}
	p, ok := queue.PolicyByName(*policy)
	if !ok {
		return fmt.Errorf("simulate: --policy %q is not a policy; use default, edf or fifo", *policy)
	}
	f, err := os.Open(*path)
	if err != nil {
		return fmt.Errorf("simulate: %w", err)
	}
	sc, err := queue.ReadScenario(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("simulate %s: %w", *path, err)
	}

	var out any
	if *compare {
		// A map marshals with its keys sorted, so the output is stable.
		summaries := map[string]simulationSummary{}
		for _, name := range simulatePolicies {
			p, _ := queue.PolicyByName(name)
			res, err := queue.Simulate(sc, p)
			if err != nil {
				return fmt.Errorf("simulate %s: %w", *path, err)
			}
			summaries[name] = simulationSummary{res.Standards, res.Estimates, res.Waits}
		}
		out = summaries
	} else {
		res, err := queue.Simulate(sc, p)
		if err != nil {
			return fmt.Errorf("simulate %s: %w", *path, err)
		}
		out = res
	}
	data, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	_, err = stdout.Write(append(data, '\n'))
	return err
}

// simulationSummary is one policy's day under --compare: the totals without
// the visits.
type simulationSummary struct {
	Standards queue.SimStandards `json:"standards"`
	Estimates queue.SimEstimates `json:"estimates"`
	Waits     queue.SimWaits     `json:"waits"`
}
