package sinktest

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// SMTPServer is an SMTP server on a real loopback listener: EHLO advertising STARTTLS
// and AUTH PLAIN, STARTTLS with a certificate from a CA made for the test, AUTH PLAIN
// checking the credentials, MAIL/RCPT/DATA recording messages, and scripted or queued
// failures. Set the exported fields before Start.
type SMTPServer struct {
	// Addr is where it listens, once started.
	Addr string
	// PKI is the test CA and the server's certificate (NewSMTPServer makes one).
	PKI PKI
	// User and Pass are the credentials AUTH PLAIN accepts; empty User takes mail
	// without them.
	User, Pass string
	// NoSTARTTLS stops advertising STARTTLS; Implicit makes it TLS from the first byte.
	NoSTARTTLS, Implicit bool
	// Script answers a command (by verb) instead of the server, when it returns a reply.
	Script func(verb, arg string) (reply string, ok bool)
	// HangData takes the message and never answers it; DataIn is closed once it has.
	HangData bool
	DataIn   chan struct{}

	ln     net.Listener
	mu     sync.Mutex
	log    []string
	mails  []Mail
	faults []SMTPFault
	conns  []net.Conn
	wg     sync.WaitGroup
}

// Mail is one message as the server got it: envelope and raw data (CRLF kept).
type Mail struct {
	From string
	To   []string
	Data string
}

// SMTPFault is how the server answers the next command of Verb instead of itself.
type SMTPFault struct {
	Verb string
	// Reply is the line sent, such as "451 4.3.0 try again later"; a 421 also hangs up.
	Reply string
	// Echo appends the command's argument and the password to Reply, as a careless
	// server may: a sink must not pass them on.
	Echo bool
	// Hang never answers, until the client gives up.
	Hang bool
}

// PKI is a CA and a server certificate for mail.example.test, localhost and 127.0.0.1.
type PKI struct {
	Server tls.Certificate
	// Client trusts the CA (and nothing else).
	Client *tls.Config
	// CAPEM is the CA certificate, as ca_cert takes it.
	CAPEM string
	CA    *x509.Certificate
}

// NewPKI makes a CA valid for an hour around now and a server certificate it signed.
func NewPKI(t testing.TB) PKI {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "deploywatch test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "mail.example.test"},
		DNSNames: []string{"mail.example.test", "localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return PKI{
		Server: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key},
		Client: &tls.Config{RootCAs: pool},
		CAPEM:  string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})),
		CA:     ca,
	}
}

// NewSMTPServer returns a server with its own PKI expecting user and pass, configured
// by configure (may be nil), started and stopped when the test ends.
func NewSMTPServer(t testing.TB, user, pass string, configure func(*SMTPServer)) *SMTPServer {
	t.Helper()
	f := &SMTPServer{PKI: NewPKI(t), User: user, Pass: pass}
	if configure != nil {
		configure(f)
	}
	f.Start(t)
	return f
}

// Start listens on loopback and serves until the test ends.
func (f *SMTPServer) Start(t testing.TB) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.ln, f.Addr, f.DataIn = ln, ln.Addr().String(), make(chan struct{})
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			f.mu.Lock()
			f.conns = append(f.conns, conn)
			f.mu.Unlock()
			f.wg.Add(1)
			go func() {
				defer f.wg.Done()
				defer conn.Close()
				f.serve(conn)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		f.mu.Lock()
		for _, c := range f.conns {
			c.Close()
		}
		f.mu.Unlock()
		f.wg.Wait()
	})
}

// Dial connects to the server whatever address the sink asks for (email.Config.Dial).
func (f *SMTPServer) Dial(ctx context.Context, network, _ string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, network, f.Addr)
}

// Fail queues faults: each answers the next command of its verb.
func (f *SMTPServer) Fail(faults ...SMTPFault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, faults...)
}

// Commands is what the server was told, in order; "+tls" marks a command sent over TLS.
func (f *SMTPServer) Commands() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.log...)
}

// Received returns the mails taken so far.
func (f *SMTPServer) Received() []Mail {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Mail(nil), f.mails...)
}

func (f *SMTPServer) record(entry string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log = append(f.log, entry)
}

// fault takes the first queued fault for verb.
func (f *SMTPServer) fault(verb string) (SMTPFault, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, q := range f.faults {
		if q.Verb == verb {
			f.faults = append(f.faults[:i:i], f.faults[i+1:]...)
			return q, true
		}
	}
	return SMTPFault{}, false
}

func (f *SMTPServer) serve(conn net.Conn) {
	secure := false
	tlsConfig := &tls.Config{Certificates: []tls.Certificate{f.PKI.Server}}
	if f.Implicit {
		tc := tls.Server(conn, tlsConfig)
		if tc.Handshake() != nil {
			return
		}
		conn, secure = tc, true
	}
	r := bufio.NewReader(conn)
	reply := func(lines ...string) { _, _ = fmt.Fprint(conn, strings.Join(lines, "\r\n")+"\r\n") }
	reply("220 mail.example.test ESMTP fake")
	var m Mail
	authed := false
	for {
		text, err := r.ReadString('\n')
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(strings.TrimRight(text, "\r\n"), " ")
		verb = strings.ToUpper(verb)
		if secure {
			f.record(verb + "+tls")
		} else {
			f.record(verb)
		}
		if q, ok := f.fault(verb); ok {
			if q.Hang {
				_, _ = r.ReadString('\n') // until the client hangs up
				return
			}
			answer := q.Reply
			if q.Echo {
				answer += " (" + arg + " password=" + f.Pass + ")"
			}
			reply(answer)
			if strings.HasPrefix(answer, "421") {
				return
			}
			continue
		}
		if f.Script != nil {
			if answer, ok := f.Script(verb, arg); ok {
				reply(answer)
				if strings.HasPrefix(answer, "421") {
					return
				}
				continue
			}
		}
		switch verb {
		case "EHLO":
			lines := []string{"250-mail.example.test greets you", "250-8BITMIME"}
			if !f.NoSTARTTLS && !secure {
				lines = append(lines, "250-STARTTLS")
			}
			reply(append(lines, "250-AUTH PLAIN", "250 SIZE 10485760")...)
		case "STARTTLS":
			reply("220 2.0.0 ready to start TLS")
			tc := tls.Server(conn, tlsConfig)
			if tc.Handshake() != nil {
				return
			}
			conn, secure, r = tc, true, bufio.NewReader(tc)
		case "AUTH":
			mech, blob, _ := strings.Cut(arg, " ")
			got, _ := base64.StdEncoding.DecodeString(blob)
			if mech == "PLAIN" && string(got) == "\x00"+f.User+"\x00"+f.Pass {
				authed = true
				reply("235 2.7.0 authentication successful")
			} else {
				reply("535 5.7.8 authentication credentials invalid")
			}
		case "MAIL":
			if f.User != "" && !authed {
				reply("530 5.7.0 authentication required")
				continue
			}
			m = Mail{From: strings.Trim(strings.Fields(strings.TrimPrefix(arg, "FROM:"))[0], "<>")}
			reply("250 2.1.0 ok")
		case "RCPT":
			m.To = append(m.To, strings.Trim(strings.TrimPrefix(arg, "TO:"), "<>"))
			reply("250 2.1.5 ok")
		case "DATA":
			reply("354 end data with <CR><LF>.<CR><LF>")
			var data strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				data.WriteString(strings.TrimPrefix(l, "."))
			}
			m.Data = data.String()
			if f.HangData {
				close(f.DataIn)
				_, _ = r.ReadString('\n') // until the client hangs up
				return
			}
			f.mu.Lock()
			f.mails = append(f.mails, m)
			f.mu.Unlock()
			reply("250 2.0.0 queued as 1")
		case "RSET", "NOOP":
			reply("250 2.0.0 ok")
		case "QUIT":
			reply("221 2.0.0 bye")
			return
		default:
			reply("502 5.5.2 command not recognized")
		}
	}
}

// MailTranscript renders mails for a golden file: the envelope, then the message with
// LF line endings. Secrets are replaced by <secret>, so goldens hold none.
func MailTranscript(mails []Mail, secrets []string) string {
	var b strings.Builder
	for _, m := range mails {
		fmt.Fprintf(&b, "MAIL FROM:<%s>\n", m.From)
		for _, to := range m.To {
			fmt.Fprintf(&b, "RCPT TO:<%s>\n", to)
		}
		b.WriteString("DATA\n")
		b.WriteString(strings.ReplaceAll(m.Data, "\r\n", "\n"))
		b.WriteString(".\n\n")
	}
	text := b.String()
	for _, s := range secrets {
		if s != "" {
			text = strings.ReplaceAll(text, s, "<secret>")
		}
	}
	return text
}
