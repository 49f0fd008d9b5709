package app

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/deploywatch/deploywatch/internal/config"
)

// loadCACert reads ca_cert when it names a file (relative to the workspace), so every
// HTTP client of the run trusts its certificates. A file that cannot be read or holds no
// certificate is a configuration problem (exit 2).
func loadCACert(cfg *config.Config, dir string) error {
	if cfg.CACertPath == "" {
		return nil
	}
	bad := func(msg string) error {
		return config.Problems{{Input: "ca_cert", Origin: cfg.Origins["ca_cert"], Value: cfg.CACertPath, HasValue: true, Msg: msg}}
	}
	data, err := os.ReadFile(resolvePath(dir, cfg.CACertPath))
	if err != nil {
		var perr *fs.PathError
		if errors.As(err, &perr) {
			err = perr.Err // the path is quoted already
		}
		return bad(fmt.Sprintf("is neither PEM content nor a readable PEM file: %v", err))
	}
	certs, err := config.ParseCACert(data)
	if err != nil {
		return bad("the file " + err.Error())
	}
	cfg.CACerts = certs
	return nil
}

// caTransport is the one place ca_cert reaches the HTTP clients: a transport trusting
// ca_cert's certificates besides the system roots. Without ca_cert it is nil, and every
// component keeps its own default client untouched. A probe (probeTimeout > 0) gets the
// probes' own settings (check.HTTPConfig's default client): a fresh connection per probe,
// so a pod being replaced is not kept answering for the new version, and dial and
// handshake bounded by the probe's timeout. The others get http.DefaultTransport's.
func caTransport(cfg *config.Config, probeTimeout time.Duration) *http.Transport {
	if len(cfg.CACerts) == 0 {
		return nil
	}
	roots, err := x509.SystemCertPool()
	if err != nil {
		roots = x509.NewCertPool() // no system roots here: ca_cert's alone
	}
	for _, c := range cfg.CACerts {
		roots.AddCert(c)
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	if probeTimeout > 0 {
		t = &http.Transport{
			Proxy:                  http.ProxyFromEnvironment,
			DialContext:            (&net.Dialer{Timeout: probeTimeout}).DialContext,
			TLSHandshakeTimeout:    probeTimeout,
			MaxResponseHeaderBytes: 1 << 20,
			ForceAttemptHTTP2:      true,
			DisableKeepAlives:      true,
		}
	}
	t.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	return t
}

// caClient is a client on caTransport, or nil without ca_cert (the component's default);
// checkRedirect keeps the component's redirect policy.
func caClient(cfg *config.Config, probeTimeout time.Duration, checkRedirect func(*http.Request, []*http.Request) error) *http.Client {
	t := caTransport(cfg, probeTimeout)
	if t == nil {
		return nil
	}
	return &http.Client{Transport: t, CheckRedirect: checkRedirect}
}

// sameHostRedirect is metrics_url's redirect policy (the scraper's default): its headers
// are credentials, never handed to another host.
func sameHostRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if req.URL.Host != via[0].URL.Host {
		return fmt.Errorf("refused redirect to another host (%s)", req.URL.Host)
	}
	return nil
}
