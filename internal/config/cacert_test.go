package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploywatch/deploywatch/internal/model"
)

// TestCACert reads ca_cert as PEM content (parsed here, a bundle with comments between
// its blocks included) or as a path left for the caller; content that holds no
// certificate is a problem that never quotes it.
func TestCACert(t *testing.T) {
	t.Parallel()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test Root CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
	tests := []struct {
		name      string
		value     string
		wantCerts int
		wantPath  string
		want      []string // problems
	}{
		{name: "pem_content", value: cert, wantCerts: 1},
		{name: "bundle_with_comments", value: "# Test Root CA\n" + cert + "\n# again\n" + cert, wantCerts: 2},
		{name: "path", value: " certs/ca.pem\n", wantPath: "certs/ca.pem"},
		{name: "garbled_content", value: "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----",
			want: []string{"ca_cert (from INPUT_CA_CERT): PEM content holds no PEM certificate (-----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----)"}},
		{name: "a_key_instead", value: keyPEM,
			want: []string{"ca_cert (from INPUT_CA_CERT): PEM content holds a PRIVATE KEY as PEM block 1, not a CERTIFICATE: give the certificate of the CA, never a key"}},
		{name: "certificate_then_key", value: cert + keyPEM,
			want: []string{"ca_cert (from INPUT_CA_CERT): PEM content holds a PRIVATE KEY as PEM block 2, not a CERTIFICATE: give the certificate of the CA, never a key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _, ps := load(t, Sources{Inputs: map[string]string{"health_url": "https://127.0.0.1/ready", "ca_cert": tt.value},
				Context: model.RunContext{SHA: sha}})
			if diff := cmp.Diff(tt.want, problemLines(ps)); diff != "" {
				t.Fatalf("problems (-want +got):\n%s", diff)
			}
			if len(ps) > 0 {
				if line := problemLines(ps)[0]; strings.Contains(line, "MII") {
					t.Errorf("the problem quotes the content: %s", line)
				}
				return
			}
			if len(c.CACerts) != tt.wantCerts || c.CACertPath != tt.wantPath {
				t.Errorf("%d certificates, path %q; want %d, %q", len(c.CACerts), c.CACertPath, tt.wantCerts, tt.wantPath)
			}
			if tt.wantCerts > 0 && c.CACerts[0].Subject.CommonName != "Test Root CA" {
				t.Errorf("certificate %v", c.CACerts[0].Subject)
			}
		})
	}
}
