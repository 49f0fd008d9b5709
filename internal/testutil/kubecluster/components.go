package kubecluster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"time"
)

// portSet is the loopback ports of one cluster.
type portSet struct {
	etcdClient, etcdPeer, apiserver, kcm, scheduler int
}

// Network ranges of the fake cluster. Nothing routes them: they only fill API fields.
const (
	serviceRange = "10.0.0.0/24"
	serviceIP    = "10.0.0.1" // the kubernetes Service, first address of serviceRange
	podRange     = "10.244.0.0/16"
	nodeIP       = "10.200.0.1"
)

// pollInterval is how often the harness looks again while waiting for something.
const pollInterval = 50 * time.Millisecond

// runControlPlane starts etcd and kube-apiserver, waits until the apiserver is ready, then
// starts the controller manager and the scheduler and waits until both are healthy.
func (c *Cluster) runControlPlane(ctx context.Context, in install, p pki, pt portSet) error {
	etcdURL := "http://" + hostPort(pt.etcdClient)
	peerURL := "http://" + hostPort(pt.etcdPeer)
	etcd, err := c.run(in, "etcd", flags(
		"name", "test",
		"data-dir", filepath.Join(c.dir, "etcd-data"),
		"listen-client-urls", etcdURL,
		"advertise-client-urls", etcdURL,
		"listen-peer-urls", peerURL,
		"initial-advertise-peer-urls", peerURL,
		"initial-cluster", "test="+peerURL,
		// Nothing here must survive a crash: skipping fsync makes writes cheap.
		"unsafe-no-fsync", "true",
	))
	if err != nil {
		return err
	}
	plain := &http.Client{Timeout: 2 * time.Second}
	if err := waitHealthy(ctx, plain, etcdURL+"/health", etcd); err != nil {
		return err
	}

	apiserver, err := c.run(in, "kube-apiserver", flags(
		"etcd-servers", etcdURL,
		"bind-address", "127.0.0.1",
		"advertise-address", "127.0.0.1",
		"secure-port", strconv.Itoa(pt.apiserver),
		// A loopback address must not be published in the kubernetes Endpoints.
		"endpoint-reconciler-type", "none",
		"tls-cert-file", p.path("apiserver.crt"),
		"tls-private-key-file", p.path("apiserver.key"),
		"client-ca-file", p.path("ca.crt"),
		"service-account-key-file", p.path("sa.pub"),
		"service-account-signing-key-file", p.path("sa.key"),
		"service-account-issuer", "https://kubernetes.default.svc",
		"service-cluster-ip-range", serviceRange,
		"authorization-mode", "RBAC",
		"cert-dir", filepath.Join(c.dir, "apiserver-certs"),
	))
	if err != nil {
		return err
	}
	admin, err := c.adminHTTPClient(p)
	if err != nil {
		return err
	}
	if err := waitHealthy(ctx, admin, c.server+"/readyz", apiserver); err != nil {
		return err
	}

	kubeconfig := c.KubeconfigPath
	kcm, err := c.run(in, "kube-controller-manager", flags(
		"kubeconfig", kubeconfig,
		"authentication-kubeconfig", kubeconfig,
		"authorization-kubeconfig", kubeconfig,
		"leader-elect", "false",
		"bind-address", "127.0.0.1",
		"secure-port", strconv.Itoa(pt.kcm),
		"cert-dir", filepath.Join(c.dir, "kcm-certs"),
		// Every default controller: deployment, replicaset, serviceaccount,
		// serviceaccount-token, namespace, garbage-collector among them.
		"controllers", "*",
		"service-account-private-key-file", p.path("sa.key"),
		"root-ca-file", p.path("ca.crt"),
		// One identity for all controllers: no per-controller tokens to mint and wait for.
		"use-service-account-credentials", "false",
	))
	if err != nil {
		return err
	}
	scheduler, err := c.run(in, "kube-scheduler", flags(
		"kubeconfig", kubeconfig,
		"authentication-kubeconfig", kubeconfig,
		"authorization-kubeconfig", kubeconfig,
		"leader-elect", "false",
		"bind-address", "127.0.0.1",
		"secure-port", strconv.Itoa(pt.scheduler),
		"cert-dir", filepath.Join(c.dir, "scheduler-certs"),
	))
	if err != nil {
		return err
	}
	// Their serving certificates are self-signed on the spot; /healthz needs no client
	// identity. Only this probe skips verification, on loopback.
	selfSigned := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // loopback health probe
	}}
	if err := waitHealthy(ctx, selfSigned, "https://"+hostPort(pt.kcm)+"/healthz", kcm); err != nil {
		return err
	}
	return waitHealthy(ctx, selfSigned, "https://"+hostPort(pt.scheduler)+"/healthz", scheduler)
}

// run starts one component and records it, so that Stop finds it.
func (c *Cluster) run(in install, name string, args []string) (*proc, error) {
	p, err := startProc(c.dir, name, in.bin[name], args...)
	if err != nil {
		return nil, err
	}
	c.procs = append(c.procs, p)
	return p, nil
}

// adminHTTPClient is an HTTPS client that trusts the cluster CA and presents the admin
// certificate: /readyz needs an authenticated user under RBAC.
func (c *Cluster) adminHTTPClient(p pki) (*http.Client, error) {
	cert, err := tls.X509KeyPair(p.adminCrt, p.adminKey)
	if err != nil {
		return nil, fmt.Errorf("admin key pair: %w", err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(p.caPEM)
	return &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
	}}, nil
}

// waitHealthy polls url until it answers 200, the process exits, or readyTimeout passes.
func waitHealthy(ctx context.Context, client *http.Client, url string, p *proc) error {
	var last string
	err := poll(ctx, readyTimeout, []*proc{p}, func(ctx context.Context) (bool, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return false, fmt.Errorf("health request: %w", err)
		}
		resp, err := client.Do(req)
		if err != nil {
			last = err.Error()
			return false, nil
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		_ = resp.Body.Close()
		last = fmt.Sprintf("%d %s", resp.StatusCode, body)
		return resp.StatusCode == http.StatusOK, nil
	})
	if err != nil {
		return fmt.Errorf("%w; last answer of %s: %s", err, url, last)
	}
	return nil
}

// poll calls cond every pollInterval until it returns true or an error, one of watched
// exits, or timeout passes. A process that ended or a timeout is reported with its log.
func poll(ctx context.Context, timeout time.Duration, watched []*proc, cond func(context.Context) (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		ok, err := cond(ctx)
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		for _, p := range watched {
			if done, _ := p.exited(); done {
				return p.failure("exited early")
			}
		}
		select {
		case <-ctx.Done():
			if len(watched) > 0 {
				return watched[0].failure(fmt.Sprintf("not ready after %s", timeout))
			}
			return fmt.Errorf("not ready after %s: %w", timeout, ctx.Err())
		case <-tick.C:
		}
	}
}
