package email

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
	"fmt"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeSMTP is an SMTP server on a real loopback listener: EHLO advertising STARTTLS and
// AUTH PLAIN, STARTTLS with a certificate from a CA made for the test, AUTH PLAIN
// checking the credentials, MAIL/RCPT/DATA recording messages, and scripted replies.
type fakeSMTP struct {
	addr string
	ln   net.Listener
	cert tls.Certificate

	user, pass string
	// noSTARTTLS stops advertising STARTTLS; implicit makes it TLS from the first byte.
	noSTARTTLS, implicit bool
	// script answers a command (by verb) instead of the server, when it returns a reply.
	script func(verb, arg string) (reply string, ok bool)
	// hangData takes the message and never answers it; dataIn is closed once it has.
	hangData bool
	dataIn   chan struct{}

	mu    sync.Mutex
	log   []string
	mails []received
	conns []net.Conn
	wg    sync.WaitGroup
}

// received is one message as the server got it: envelope and raw data (CRLF kept).
type received struct {
	From string
	To   []string
	Data string
}

// testPKI is a CA and a server certificate for mail.example.test, localhost and
// 127.0.0.1, plus a client configuration trusting the CA.
type testPKI struct {
	server tls.Certificate
	client *tls.Config
}

func newPKI(t *testing.T) testPKI {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "deploywatch test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
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
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	return testPKI{
		server: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key},
		client: &tls.Config{RootCAs: pool},
	}
}

// start listens on loopback and serves until the test ends.
func (f *fakeSMTP) start(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.ln, f.addr, f.dataIn = ln, ln.Addr().String(), make(chan struct{})
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

// dial connects to the fake whatever address the sink asks for, as Config.Dial.
func (f *fakeSMTP) dial(ctx context.Context, network, _ string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, network, f.addr)
}

func (f *fakeSMTP) record(entry string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log = append(f.log, entry)
}

// commands is what the server was told, in order; "+tls" marks a command sent over TLS.
func (f *fakeSMTP) commands() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.log...)
}

func (f *fakeSMTP) received() []received {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]received(nil), f.mails...)
}

func (f *fakeSMTP) serve(conn net.Conn) {
	secure := false
	if f.implicit {
		tc := tls.Server(conn, &tls.Config{Certificates: []tls.Certificate{f.cert}})
		if tc.Handshake() != nil {
			return
		}
		conn, secure = tc, true
	}
	r := bufio.NewReader(conn)
	reply := func(lines ...string) { _, _ = fmt.Fprint(conn, strings.Join(lines, "\r\n")+"\r\n") }
	reply("220 mail.example.test ESMTP fake")
	var m received
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
		if f.script != nil {
			if answer, ok := f.script(verb, arg); ok {
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
			if !f.noSTARTTLS && !secure {
				lines = append(lines, "250-STARTTLS")
			}
			reply(append(lines, "250-AUTH PLAIN", "250 SIZE 10485760")...)
		case "STARTTLS":
			reply("220 2.0.0 ready to start TLS")
			tc := tls.Server(conn, &tls.Config{Certificates: []tls.Certificate{f.cert}})
			if tc.Handshake() != nil {
				return
			}
			conn, secure, r = tc, true, bufio.NewReader(tc)
		case "AUTH":
			mech, blob, _ := strings.Cut(arg, " ")
			got, _ := base64.StdEncoding.DecodeString(blob)
			if mech == "PLAIN" && string(got) == "\x00"+f.user+"\x00"+f.pass {
				authed = true
				reply("235 2.7.0 authentication successful")
			} else {
				reply("535 5.7.8 authentication credentials invalid")
			}
		case "MAIL":
			if f.user != "" && !authed {
				reply("530 5.7.0 authentication required")
				continue
			}
			m = received{From: strings.Trim(strings.Fields(strings.TrimPrefix(arg, "FROM:"))[0], "<>")}
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
			if f.hangData {
				close(f.dataIn)
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
