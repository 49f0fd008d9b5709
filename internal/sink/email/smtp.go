package email

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"net"
	"net/smtp"
	"net/textproto"
	"strings"
	"time"
)

// sendTimeout bounds one delivery when the context has no earlier deadline: a server
// that stops answering must not hold the run's end.
const sendTimeout = 30 * time.Second

// deliver sends msg in one SMTP session. The connection's deadline comes from ctx, and
// cancelling ctx closes it, so no step can block past either.
func (s *Sink) deliver(ctx context.Context, msg []byte) error {
	dial := s.cfg.Dial
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	raw, err := dial(ctx, "tcp", net.JoinHostPort(s.host, s.port))
	if err != nil {
		return s.fail(ctx, "connect", err)
	}
	defer raw.Close()
	stop := context.AfterFunc(ctx, func() { _ = raw.Close() })
	defer stop()
	deadline := time.Now().Add(sendTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	_ = raw.SetDeadline(deadline)

	conn := raw
	if s.implicitTLS {
		tc := tls.Client(raw, s.tlsConfig())
		if err := tc.HandshakeContext(ctx); err != nil {
			return s.fail(ctx, "tls handshake", err)
		}
		conn = tc
	}
	step, err := s.session(conn, msg)
	if err != nil {
		return s.fail(ctx, step, err)
	}
	return nil
}

// session runs the SMTP dialogue and names the step that failed.
func (s *Sink) session(conn net.Conn, msg []byte) (step string, err error) {
	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		return "greeting", err
	}
	defer c.Close()
	if err := c.Hello("localhost"); err != nil {
		return "ehlo", err
	}
	if !s.implicitTLS {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(s.tlsConfig()); err != nil {
				return "starttls", err
			}
		}
	}
	// Without TLS neither the password nor the mail crosses the network: a server that
	// offers no STARTTLS may be one whose greeting a man in the middle stripped.
	if _, secure := c.TLSConnectionState(); !secure && !loopback(s.host) {
		if s.user != "" {
			return "starttls", errPlaintextAuth
		}
		return "starttls", errPlaintext
	}
	if s.user != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return "authenticate", errNoAuth
		}
		if err := c.Auth(plainAuth{user: s.user, pass: s.pass}); err != nil {
			return "authenticate", err
		}
	}
	if err := c.Mail(s.from.Address); err != nil {
		return "mail from", err
	}
	// A recipient refused for good is skipped, so one bad address does not silence the
	// others; a temporary refusal fails the whole mail, to be retried for everyone.
	var refused []string
	var refusal *textproto.Error
	for _, a := range s.to {
		if err := c.Rcpt(a.Address); err != nil {
			if !errors.As(err, &refusal) || refusal.Code < 500 {
				return "rcpt to", err
			}
			refused = append(refused, a.Address)
		}
	}
	if len(refused) == len(s.to) {
		return "rcpt to", refusal
	}
	w, err := c.Data()
	if err != nil {
		return "data", err
	}
	if _, err := w.Write(msg); err != nil {
		return "data", err
	}
	if err := w.Close(); err != nil {
		return "data", err
	}
	// The server took the mail: a failed goodbye changes nothing.
	_ = c.Quit()
	if len(refused) > 0 {
		return "rcpt to", partialError{refused: refused, reply: refusal}
	}
	return "", nil
}

func (s *Sink) tlsConfig() *tls.Config {
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.cfg.TLSConfig != nil {
		c = s.cfg.TLSConfig.Clone()
	}
	if c.ServerName == "" {
		c.ServerName = s.host
	}
	return c
}

// loopback reports a host that does not leave the machine, where a password in clear
// travels nowhere.
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// plainAuth is AUTH PLAIN (RFC 4616). net/smtp's own refuses loopback addresses other
// than 127.0.0.1 without TLS; whether to send the password is decided in session.
type plainAuth struct{ user, pass string }

func (a plainAuth) Start(*smtp.ServerInfo) (string, []byte, error) {
	return "PLAIN", []byte("\x00" + a.user + "\x00" + a.pass), nil
}

func (a plainAuth) Next(_ []byte, more bool) ([]byte, error) {
	if more {
		return nil, errors.New("unexpected challenge after AUTH PLAIN")
	}
	return nil, nil
}

// plainResponse is the AUTH PLAIN line's argument, as a server may echo it.
func plainResponse(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + pass))
}
