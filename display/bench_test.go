package display

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"frontdoor"
)

// BenchmarkFanout measures how long a call takes to reach every lobby
// screen: from Hub.Publish to each screen's reading the event off its
// loopback HTTP connection, for 100, 1,000 and 5,000 screens in this
// process, and what each connected screen costs in memory. Each iteration
// is one published call. Run it as docs/benchmarks.md says:
//
//	go test ./display/ -run '^$' -bench Fanout -benchtime 200x
func BenchmarkFanout(b *testing.B) {
	raiseFileLimit(b)
	for _, n := range []int{100, 1000, 5000} {
		b.Run(fmt.Sprintf("screens=%d", n), func(b *testing.B) { benchFanout(b, n) })
	}
}

// raiseFileLimit lifts the open-files limit to its hard maximum: 5,000
// screens are 10,000 sockets in this process.
func raiseFileLimit(b *testing.B) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		b.Logf("open-files limit: %v", err)
		return
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			b.Logf("raise the open-files limit: %v", err)
		}
	}
	if lim.Cur < 12000 {
		b.Logf("open-files limit %d: 5,000 screens need about 10,000 (ulimit -n)", lim.Cur)
	}
}

func benchFanout(b *testing.B, n int) {
	e := newEnv(b)
	rounds := b.N
	recv := make([][]int64, rounds) // recv[round][screen]: nanoseconds after the round's publish
	for i := range recv {
		recv[i] = make([]int64, n)
	}
	published := make([]atomic.Int64, rounds) // unix ns of each publish
	got := make([]atomic.Int32, rounds)       // screens that have the round's call
	var boarded sync.WaitGroup

	clientBase := clientMemory(b, n)
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	screens := make([]net.Conn, n) // each read by one goroutine, as a TV would
	for batch := 0; batch < n; batch += 200 {
		var wg sync.WaitGroup
		for i := batch; i < min(batch+200, n); i++ {
			wg.Go(func() {
				conn, r, err := dial(e.addr, "/api/v1/sites/city-hall/events")
				if err != nil {
					b.Error(err)
					return
				}
				screens[i] = conn
				boarded.Add(1)
				go readScreen(r, i, &boarded, recv, published, got)
			})
		}
		wg.Wait()
		if b.Failed() {
			b.FailNow()
		}
	}
	boarded.Wait()
	if s := e.hub.Subscribers("city-hall"); s != n {
		b.Fatalf("%d subscribers, want %d", s, n)
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	perScreen := float64(int64(after.HeapInuse+after.StackInuse)-int64(before.HeapInuse+before.StackInuse)) / float64(n)
	b.Cleanup(func() {
		for _, c := range screens {
			c.Close()
		}
	})

	b.ResetTimer()
	for round := range rounds {
		data := fmt.Appendf(nil, `{"number":"H%03d","desk":"Desk 1","at":"2026-11-30T09:00:00Z","round":%d}`, round%1000, round)
		ev := frontdoor.Event{ID: int64(1_000_000 + round), Site: "city-hall", Kind: "called", Data: json.RawMessage(data)}
		published[round].Store(time.Now().UnixNano())
		e.hub.Publish(ev)
		deadline := time.Now().Add(30 * time.Second)
		for got[round].Load() < int32(n) {
			if time.Now().After(deadline) {
				b.Fatalf("round %d: %d of %d screens got the call", round, got[round].Load(), n)
			}
			time.Sleep(50 * time.Microsecond)
		}
	}
	b.StopTimer()
	if d := e.hub.Dropped(); d > 0 {
		b.Errorf("the hub dropped %d screens", d)
	}

	var all, last []float64
	for _, r := range recv {
		worst := int64(0)
		for _, ns := range r {
			all = append(all, float64(ns)/1e6)
			worst = max(worst, ns)
		}
		last = append(last, float64(worst)/1e6)
	}
	slices.Sort(all)
	slices.Sort(last)
	b.ReportMetric(pct(all, 50), "p50-ms")
	b.ReportMetric(pct(all, 99), "p99-ms")
	b.ReportMetric(all[len(all)-1], "max-ms")
	b.ReportMetric(pct(last, 50), "last-p50-ms")
	b.ReportMetric(pct(last, 99), "last-p99-ms")
	b.ReportMetric(last[len(last)-1], "last-max-ms")
	b.ReportMetric(perScreen/1024, "KB/screen")
	b.ReportMetric((perScreen-clientBase)/1024, "server-KB/screen")
	b.ReportMetric(float64(int64(after.StackInuse)-int64(before.StackInuse))/float64(n)/1024, "stack-KB/screen")
	b.ReportMetric(0, "ns/op") // one op is one round: the figures above are what count
}

// readScreen reads a screen's stream, noting when each round's call arrives.
func readScreen(r *bufio.Reader, i int, boarded *sync.WaitGroup, recv [][]int64, published []atomic.Int64, got []atomic.Int32) {
	board := false
	marker := []byte(`"round":`)
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return
		}
		if !board && bytes.HasPrefix(line, []byte("event: board")) {
			board = true
			boarded.Done()
			continue
		}
		k := bytes.Index(line, marker)
		if k < 0 || !bytes.HasPrefix(line, []byte("data: ")) {
			continue
		}
		rest := line[k+len(marker):]
		end := bytes.IndexByte(rest, '}')
		round, err := strconv.Atoi(string(rest[:end]))
		if err != nil || round >= len(recv) {
			continue
		}
		recv[round][i] = time.Now().UnixNano() - published[round].Load()
		got[round].Add(1)
	}
}

// clientMemory is what n of the benchmark's own clients cost without a
// server behind them: connected to a listener that answers the request
// headers from its accept loop and holds the connection, with no goroutine
// of its own. Subtracted from the total, it leaves the server's share.
func clientMemory(b *testing.B, n int) float64 {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	var held []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			const board = "event: board\ndata: {}\n\n"
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n", len(board), board)
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var boarded sync.WaitGroup
	var conns []net.Conn
	for range n {
		conn, r, err := dial(ln.Addr().String(), "/")
		if err != nil {
			b.Fatal(err)
		}
		conns = append(conns, conn)
		boarded.Add(1)
		go readScreen(r, 0, &boarded, nil, nil, nil)
	}
	boarded.Wait()
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	for _, c := range conns {
		c.Close()
	}
	mu.Lock()
	for _, c := range held {
		c.Close()
	}
	mu.Unlock()
	// The accept side's sockets are counted too, but they hold no buffers.
	return float64(int64(after.HeapInuse+after.StackInuse)-int64(before.HeapInuse+before.StackInuse)) / float64(n)
}

func pct(sorted []float64, p float64) float64 {
	i := int(float64(len(sorted))*p/100+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}
