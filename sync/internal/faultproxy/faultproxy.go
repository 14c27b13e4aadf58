// Package faultproxy is an HTTP proxy for tests that stands between a
// terminal and its upstream on loopback and breaks what passes through on
// command: refused connections, hangs, error statuses, bodies cut short,
// connections reset mid-stream, answers lost after the upstream acted, and
// bodies rewritten (a tampered signature, another root's feed, an old
// trust list replayed).
package faultproxy

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	gosync "sync"
	"time"
)

// Kind is what a fault does to a request.
type Kind int

// Faults.
const (
	// Pass forwards the request and the answer untouched.
	Pass Kind = iota
	// Status answers with Fault.Status without forwarding.
	Status
	// Hang holds the request until the client gives up.
	Hang
	// CutBody forwards, then sends the answer's headers and only half
	// its body, and closes the connection.
	CutBody
	// Reset forwards, then resets the connection (TCP RST) after part of
	// the headers.
	Reset
	// Drop forwards (the upstream acts on the request) and resets the
	// connection before any answer: the client cannot know it was applied.
	Drop
	// Rewrite forwards and replaces a 200 answer's body with
	// Fault.Rewrite(body).
	Rewrite
	// Respond answers 200 with Fault.Body (Content-Type application/jwt)
	// without forwarding: a replayed or forged artefact.
	Respond
)

// Fault is one injected failure.
type Fault struct {
	Kind    Kind
	Status  int
	Rewrite func(body []byte) []byte
	Body    []byte
	// Path limits the fault to requests whose URL path is Path ("" all).
	Path string
	// Times is how many matching requests it hits (0: until cleared).
	Times int
}

// Proxy forwards to one upstream. Its methods are safe for concurrent use.
type Proxy struct {
	target *url.URL
	client *http.Client

	mu     gosync.Mutex
	faults []*Fault
	ln     net.Listener
	srv    *http.Server
	addr   string
	hits   map[Kind]int
}

// New starts a proxy for target on a loopback port.
func New(target string) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	p := &Proxy{target: u, hits: map[Kind]int{},
		client: &http.Client{Transport: &http.Transport{DisableCompression: true}}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	return p, nil
}

func (p *Proxy) serve(ln net.Listener) {
	p.ln = ln
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = p.srv.Serve(ln) }()
}

// URL is the proxy's base URL.
func (p *Proxy) URL() string { return "http://" + p.addr }

// Inject adds faults; the first matching fault applies to a request.
func (p *Proxy) Inject(fs ...Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range fs {
		f := fs[i]
		p.faults = append(p.faults, &f)
	}
}

// Heal removes every fault and, if the proxy was stopped, starts it again
// on the same address.
func (p *Proxy) Heal() error {
	p.mu.Lock()
	p.faults = nil
	stopped := p.ln == nil
	p.mu.Unlock()
	if stopped {
		return p.Start()
	}
	return nil
}

// Stop closes the listener and every connection: connections are refused
// until Start.
func (p *Proxy) Stop() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln == nil {
		return nil
	}
	err := p.srv.Close()
	p.ln, p.srv = nil, nil
	return err
}

// Start listens again on the same address after Stop.
func (p *Proxy) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		return nil
	}
	var ln net.Listener
	var err error
	for range 50 { // the port may linger a moment after Close
		if ln, err = net.Listen("tcp", p.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		return err
	}
	p.serve(ln)
	return nil
}

// Close stops the proxy for good.
func (p *Proxy) Close() error { return p.Stop() }

// Hits says how many requests a kind of fault hit.
func (p *Proxy) Hits(k Kind) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hits[k]
}

func (p *Proxy) pick(r *http.Request) Fault {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, f := range p.faults {
		if f.Path != "" && f.Path != r.URL.Path {
			continue
		}
		got := *f
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				p.faults = append(p.faults[:i:i], p.faults[i+1:]...)
			}
		}
		p.hits[got.Kind]++
		return got
	}
	p.hits[Pass]++
	return Fault{Kind: Pass}
}

// ServeHTTP forwards one request, breaking it as the faults say.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f := p.pick(r)
	switch f.Kind {
	case Status:
		http.Error(w, `{"error":"internal","message":"injected"}`, f.Status)
		return
	case Hang:
		<-r.Context().Done()
		return
	case Respond:
		w.Header().Set("Content-Type", "application/jwt")
		w.Header().Set("Content-Length", strconv.Itoa(len(f.Body)))
		_, _ = w.Write(f.Body)
		return
	}
	status, hdr, body, err := p.forward(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	switch f.Kind {
	case Drop:
		reset(w, nil)
		return
	case Reset:
		reset(w, []byte("HTTP/1.1 200 OK\r\nContent-Le"))
		return
	case Rewrite:
		if status == http.StatusOK && f.Rewrite != nil {
			body = f.Rewrite(body)
		}
	}
	for k, v := range hdr {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if f.Kind == CutBody {
		_, _ = w.Write(body[:len(body)/2])
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
		reset(w, nil)
		return
	}
	_, _ = w.Write(body)
}

// forward sends r to the target, asking for an uncompressed answer so
// that bodies can be cut and rewritten.
func (p *Proxy) forward(r *http.Request) (int, http.Header, []byte, error) {
	u := *p.target
	u.Path, u.RawQuery = r.URL.Path, r.URL.RawQuery
	in, err := io.ReadAll(r.Body)
	if err != nil {
		return 0, nil, nil, err
	}
	req, err := http.NewRequestWithContext(r.Context(), r.Method, u.String(), bytes.NewReader(in))
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header = r.Header.Clone()
	req.Header.Del("Accept-Encoding")
	resp, err := p.client.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, nil, err
	}
	hdr := resp.Header.Clone()
	hdr.Del("Content-Length")
	return resp.StatusCode, hdr, body, nil
}

// reset writes raw bytes (if any) and aborts the connection with a TCP RST.
func reset(w http.ResponseWriter, raw []byte) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return // HTTP/2: not used on this proxy's plain listener
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		return
	}
	if raw != nil {
		_, _ = buf.Write(raw)
		_ = buf.Flush()
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}
