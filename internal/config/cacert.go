package config

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// pemMarker starts every PEM block: a ca_cert holding it is content, not a path.
const pemMarker = "-----BEGIN "

// caCert reads the ca_cert setting. PEM content is parsed here; anything else is the path
// of a PEM file, left in CACertPath for the caller. The content is never quoted in a
// problem: it is long, and a key pasted by mistake must not reach the log.
func caCert(c *Config, r raw) Problems {
	text := strings.TrimSpace(r.text)
	if text == "" {
		return nil
	}
	if !strings.Contains(text, pemMarker) {
		c.CACertPath = text
		return nil
	}
	certs, err := ParseCACert([]byte(text))
	if err != nil {
		return Problems{{Input: "ca_cert", Origin: r.origin, Msg: "PEM content " + err.Error()}}
	}
	c.CACerts = certs
	return nil
}

// ParseCACert reads the certificates of a PEM bundle. Text between the blocks (a bundle's
// comments) is ignored; a block that is not a certificate is an error naming only its type.
func ParseCACert(data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	rest := data
	for n := 1; ; n++ {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("holds a %s as PEM block %d, not a CERTIFICATE: give the certificate of the CA, never a key", b.Type, n)
		}
		cert, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("holds a certificate that cannot be read (PEM block %d): %w", n, err)
		}
		certs = append(certs, cert)
	}
	if len(certs) == 0 {
		return nil, errors.New("holds no PEM certificate (-----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----)")
	}
	return certs, nil
}
