package kubecluster

import (
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"os"
	"testing"
)

func TestPKI(t *testing.T) {
	t.Parallel()
	p, err := newPKI(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(p.caPEM) {
		t.Fatal("CA certificate does not parse")
	}
	serving, err := tls.LoadX509KeyPair(p.path("apiserver.crt"), p.path("apiserver.key"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"127.0.0.1", "localhost", "kubernetes.default.svc", serviceIP} {
		opts := x509.VerifyOptions{Roots: roots, DNSName: name, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
		if _, err := serving.Leaf.Verify(opts); err != nil {
			t.Errorf("serving certificate for %s: %v", name, err)
		}
	}
	admin, err := tls.X509KeyPair(p.adminCrt, p.adminKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Leaf.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("admin client certificate: %v", err)
	}
	if s := admin.Leaf.Subject; s.CommonName != "admin" || len(s.Organization) != 1 || s.Organization[0] != "system:masters" {
		t.Errorf("admin subject = %v, want CN=admin, O=system:masters", s)
	}
	pubPEM, err := os.ReadFile(p.path("sa.pub"))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(pubPEM)
	if block == nil {
		t.Fatal("sa.pub is not PEM")
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if k, ok := pub.(*rsa.PublicKey); !ok || k.N.BitLen() != 2048 {
		t.Errorf("sa.pub = %T, want a 2048-bit RSA key", pub)
	}
}
