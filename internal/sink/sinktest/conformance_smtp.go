package sinktest

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deploywatch/deploywatch/internal/sink"
)

// SMTPCase describes a mail sink for RunSMTP.
type SMTPCase struct {
	// New builds the sink under test sending to srv (its Dial and its PKI's Client).
	New func(t *testing.T, srv *SMTPServer) sink.Sink
	// User and Pass are the credentials the server expects and the sink logs in with.
	User, Pass string
	// Events are sent in order for the golden messages; nil sends Events().
	Events []sink.Event
	// Golden is the file holding the expected mails (see MailTranscript).
	Golden string
	// Update rewrites Golden instead of comparing.
	Update bool
	// Secrets must appear in no error and no log line (Pass is one already).
	Secrets []string
	// Probe is an event the sink mails, sent by the fault tests; zero sends Finished().
	Probe sink.Event
}

// RunSMTP checks a mail sink against the contract of Run, SMTP's replies standing for
// HTTP's statuses: a 4xx reply is transient (retried), a 5xx permanent (final).
//   - golden_payloads: the mails for Events match the golden file;
//   - retries_transient_4xx: 421, 450 and 451 ask for a retry, and the retry succeeds;
//   - no_retry_on_5xx: 550 and 554 are final;
//   - dispatcher_recovers: through a real Dispatcher, two 451s are retried away with no
//     warning;
//   - cancel_stops_it: a server that stops answering is left when the context ends;
//   - no_secret_leaks: errors and log lines hold no secret, whatever the server echoes.
func RunSMTP(t *testing.T, c SMTPCase) {
	t.Helper()
	if c.Events == nil {
		c.Events = Events()
	}
	if c.Probe.Kind == "" {
		c.Probe = Finished()
	}
	secrets := append([]string{c.Pass}, c.Secrets...)
	server := func(t *testing.T) *SMTPServer { return NewSMTPServer(t, c.User, c.Pass, nil) }
	t.Run("golden_payloads", func(t *testing.T) {
		srv := server(t)
		s := c.New(t, srv)
		for _, ev := range c.Events {
			if _, err := s.Send(t.Context(), ev); err != nil {
				t.Fatalf("%s event: %v", ev.Kind, err)
			}
		}
		for _, m := range srv.Received() {
			if strings.Count(m.Data, "\n") != strings.Count(m.Data, "\r\n") {
				t.Errorf("the message has bare line feeds: %q", m.Data)
			}
		}
		CompareGolden(t, c.Golden, MailTranscript(srv.Received(), secrets), c.Update)
	})
	transient := []SMTPFault{
		{Verb: "EHLO", Reply: "421 4.3.2 service shutting down"},
		{Verb: "RCPT", Reply: "450 4.2.1 mailbox busy"},
		{Verb: "MAIL", Reply: "451 4.3.0 try again later"},
	}
	for _, f := range transient {
		t.Run("retries_transient_4xx/"+f.Reply[:3], func(t *testing.T) {
			srv := server(t)
			s := c.New(t, srv)
			srv.Fail(f)
			retry, err := s.Send(t.Context(), c.Probe)
			if err == nil || !retry {
				t.Fatalf("after %q: retry %v, err %v; want a retryable error", f.Reply, retry, err)
			}
			if _, err := s.Send(t.Context(), c.Probe); err != nil {
				t.Fatalf("the retry failed: %v", err)
			}
			if n := len(srv.Received()); n != 1 {
				t.Errorf("%d mails delivered, want 1", n)
			}
		})
	}
	permanent := []SMTPFault{
		{Verb: "MAIL", Reply: "550 5.7.1 sender rejected"},
		{Verb: "DATA", Reply: "554 5.7.1 rejected as spam"},
	}
	for _, f := range permanent {
		t.Run("no_retry_on_5xx/"+f.Reply[:3], func(t *testing.T) {
			srv := server(t)
			s := c.New(t, srv)
			srv.Fail(f)
			retry, err := s.Send(t.Context(), c.Probe)
			if err == nil || retry {
				t.Fatalf("after %q: retry %v, err %v; want a final error", f.Reply, retry, err)
			}
		})
	}
	t.Run("dispatcher_recovers", func(t *testing.T) {
		srv := server(t)
		s := c.New(t, srv)
		srv.Fail(SMTPFault{Verb: "MAIL", Reply: "451 4.3.0 try again later"}, SMTPFault{Verb: "MAIL", Reply: "451 4.3.0 try again later"})
		d := sink.New([]sink.Sink{s}, sink.Options{BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond})
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		if w := d.Finish(ctx, c.Probe); len(w) > 0 {
			t.Errorf("warnings after two 451s: %q", w)
		}
		if n := len(srv.Received()); n != 1 {
			t.Errorf("%d mails delivered, want 1", n)
		}
	})
	t.Run("cancel_stops_it", func(t *testing.T) {
		srv := server(t)
		s := c.New(t, srv)
		srv.Fail(SMTPFault{Verb: "MAIL", Hang: true})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() {
			_, err := s.Send(ctx, c.Probe)
			done <- err
		}()
		time.Sleep(50 * time.Millisecond)
		cancel()
		select {
		case err := <-done:
			if err == nil {
				t.Error("a cancelled send reported success")
			}
		case <-time.After(30 * time.Second): // a hang guard, not a speed limit
			t.Fatal("Send did not return after its context was cancelled")
		}
	})
	t.Run("no_secret_leaks", func(t *testing.T) {
		var texts []string
		faults := []SMTPFault{
			{Verb: "AUTH", Reply: "535 5.7.8 rejected", Echo: true},
			{Verb: "RCPT", Reply: "550 5.1.1 no such user", Echo: true},
			{Verb: "MAIL", Reply: "451 4.3.0 try later", Echo: true},
			{Verb: "DATA", Reply: "554 5.7.1 rejected", Echo: true},
		}
		for _, f := range faults {
			srv := server(t)
			srv.Fail(repeat(f, 5)...)
			_, err := c.New(t, srv).Send(t.Context(), c.Probe)
			if err == nil {
				t.Errorf("%q gave no error", f.Reply)
				continue
			}
			texts = append(texts, err.Error())
		}
		// Through the dispatcher too: its retry log lines and warnings.
		var mu sync.Mutex
		logf := func(line string) { mu.Lock(); texts = append(texts, line); mu.Unlock() }
		srv := server(t)
		srv.Fail(SMTPFault{Verb: "MAIL", Reply: "451 4.3.0 try later", Echo: true}, SMTPFault{Verb: "DATA", Reply: "554 5.7.1 rejected", Echo: true})
		d := sink.New([]sink.Sink{c.New(t, srv)}, sink.Options{BaseDelay: time.Millisecond, Log: logf})
		texts = append(texts, d.Finish(t.Context(), c.Probe)...)
		// No server at all.
		dead := server(t)
		dead.Addr = deadAddr(t)
		if _, err := c.New(t, dead).Send(t.Context(), c.Probe); err == nil {
			t.Error("an unreachable server gave no error")
		} else {
			texts = append(texts, err.Error())
		}
		noSecret(t, texts, secrets)
	})
}

// deadAddr is a loopback address nothing listens on.
func deadAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
