package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// figure is one measured load: how many operations, how fast, how long each took.
type figure struct {
	Name     string
	Clients  int
	N        int
	Elapsed  time.Duration
	Lat      []time.Duration // sorted
	Expected string          // the target, when the issue sets one
}

func (f figure) Rate() float64 { return float64(f.N) / f.Elapsed.Seconds() }

// Pct is the p-th percentile (0–100) of the latencies, in milliseconds.
func (f figure) Pct(p float64) float64 {
	if len(f.Lat) == 0 {
		return 0
	}
	i := min(len(f.Lat)-1, max(0, int(float64(len(f.Lat))*p/100+0.5)-1))
	return float64(f.Lat[i].Microseconds()) / 1000
}

// join adds g's operations to f's, as if they had run as one measurement.
func (f figure) join(g figure) figure {
	f.N += g.N
	f.Elapsed += g.Elapsed
	f.Lat = append(slices.Clone(f.Lat), g.Lat...)
	slices.Sort(f.Lat)
	return f
}

// measure runs n calls of op spread over clients goroutines, each taking the
// next index, and times each call. prep, when given, runs before each call,
// untimed (it still competes for the machine, as real traffic would).
func measure(ctx context.Context, name string, clients, n int, prep, op func(i int) error) (figure, error) {
	var next atomic.Int64
	lat := make([]time.Duration, n)
	var failed atomic.Int64
	var firstErr error
	var once sync.Once
	fail := func(i int, err error) {
		failed.Add(1)
		once.Do(func() { firstErr = fmt.Errorf("%s, operation %d: %w", name, i, err) })
	}
	var wg sync.WaitGroup
	begin := time.Now()
	var untimed atomic.Int64 // prep time, summed over clients
	for range clients {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if prep != nil {
					t0 := time.Now()
					if err := prep(i); err != nil {
						fail(i, err)
						return
					}
					untimed.Add(int64(time.Since(t0)))
				}
				t0 := time.Now()
				if err := op(i); err != nil {
					fail(i, err)
				}
				lat[i] = time.Since(t0)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(begin) - time.Duration(untimed.Load()/int64(clients))
	if err := ctx.Err(); err != nil {
		return figure{}, err
	}
	if failed.Load() > 0 {
		return figure{}, fmt.Errorf("%d of %d failed; first: %w", failed.Load(), n, firstErr)
	}
	slices.Sort(lat)
	return figure{Name: name, Clients: clients, N: n, Elapsed: elapsed, Lat: lat}, nil
}

// profiler writes one CPU profile per measured step into dir, when dir is set.
type profiler struct{ dir string }

func (p profiler) run(name string, f func() error) error {
	if p.dir == "" {
		return f()
	}
	file, err := os.Create(filepath.Join(p.dir, name+".pprof"))
	if err != nil {
		return fmt.Errorf("profile %s: %w", name, err)
	}
	defer file.Close()
	if err := pprof.StartCPUProfile(file); err != nil {
		return fmt.Errorf("profile %s: %w", name, err)
	}
	defer pprof.StopCPUProfile()
	return f()
}

// httpClient keeps up to clients connections open to the one server.
func httpClient(clients int) *http.Client {
	return &http.Client{Timeout: time.Minute, Transport: &http.Transport{
		MaxIdleConns: clients, MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}}
}

// expectStatus sends req and reads the whole answer, which must have status want.
func expectStatus(c *http.Client, req *http.Request, want int) ([]byte, error) {
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != want {
		return nil, fmt.Errorf("%s %s: status %d, want %d: %.200s", req.Method, req.URL.Path, resp.StatusCode, want, body)
	}
	return body, nil
}
