// Package kubecluster runs a real Kubernetes control plane on loopback for tests: etcd 3.6,
// kube-apiserver, kube-controller-manager and kube-scheduler v1.36.3, and kwok playing the
// kubelet of one fake Node, so Deployments really roll out and pods really become Running
// (or crash-loop, fail to pull, run out of memory, never get ready: see the labels below).
// Only _test.go files import it.
//
// It builds nothing: scripts/kube/build.sh puts the binaries in .cache/kube/bin (about eight
// minutes cold on 2 cores, link-only when the Go build cache is warm). Without them Start fails the
// test with that command; it never skips.
//
// Pod labels understood by the fake kubelet (stages in scripts/kube/stages):
//
//	deploywatch.test/crashloop: "true"  Running, exits 1, CrashLoopBackOff, restartCount grows
//	deploywatch.test/oom: "true"        the same with lastState.terminated OOMKilled, exit 137
//	deploywatch.test/imagepull: "true"  Pending, waiting ErrImagePull then ImagePullBackOff
//	deploywatch.test/unready: "true"    Running, never Ready
//
// The annotations deploywatch.test/run and deploywatch.test/backoff (Go durations, 1s by
// default) set how long a crash-looping container runs and how long it backs off.
//
// Timings on 2 cores: a cluster is up (fake node Ready) in about 3 s and stops in about
// 1 s (the apiserver is given up to 10 s to drain); the processes use about 560 MB.
package kubecluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Timeouts of the harness.
const (
	readyTimeout = 60 * time.Second // each component, and the fake node
	apiTimeout   = 30 * time.Second // one API call or short wait of the harness
	maxAttempts  = 3                // starts retried when a chosen port got taken
)

// Cluster is a running control plane with one fake Node.
type Cluster struct {
	// Kubeconfig is an admin kubeconfig (client certificate in group system:masters, all
	// data embedded) for https://127.0.0.1:PORT.
	Kubeconfig []byte
	// KubeconfigPath is a file holding Kubeconfig.
	KubeconfigPath string
	// Config is the admin client configuration.
	Config *rest.Config
	// Client is an admin clientset.
	Client kubernetes.Interface
	// NodeName is the fake Node's name; every pod is scheduled on it.
	NodeName string

	server   string // https://127.0.0.1:PORT
	caPEM    []byte
	dir      string
	procs    []*proc // in start order
	stopOnce sync.Once
}

// Start runs a cluster for the test and stops it when the test ends, passed or not.
// Missing binaries, or a cluster that does not come up, fail the test: it is never skipped.
func Start(t testing.TB) *Cluster {
	t.Helper()
	c, err := start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kubecluster logs at failure:\n%s", c.logTails(15))
		}
		c.Stop()
	})
	return c
}

// StartMain runs a cluster to share among a package's tests, from TestMain, where there is
// no *testing.T. When the cluster cannot start it prints why and exits with status 1. Call
// the returned function after m.Run to stop it:
//
//	func TestMain(m *testing.M) {
//		c, stop := kubecluster.StartMain(m)
//		cluster = c
//		code := m.Run()
//		stop()
//		os.Exit(code)
//	}
func StartMain(m *testing.M) (*Cluster, func()) {
	_ = m // taken so that only a TestMain calls this
	c, err := start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	return c, c.Stop
}

// Stop stops every process by its PID, in reverse order of dependency (kwok, scheduler,
// controller manager, apiserver, then etcd), and removes the temporary directory. It is
// safe to call more than once.
func (c *Cluster) Stop() {
	c.stopOnce.Do(func() {
		for i := len(c.procs) - 1; i >= 0; i-- {
			p := c.procs[i]
			p.stop(stopGrace(p.name))
		}
		_ = os.RemoveAll(c.dir)
	})
}

// stopGrace is how long a component may take to exit after SIGTERM before it is killed:
// the apiserver drains its requests, which takes several seconds.
func stopGrace(name string) time.Duration {
	if name == "kube-apiserver" {
		return 10 * time.Second
	}
	return 5 * time.Second
}

// pids returns the process ids of the components, in start order.
func (c *Cluster) pids() map[string]int {
	out := make(map[string]int, len(c.procs))
	for _, p := range c.procs {
		out[p.name] = p.pid()
	}
	return out
}

// logTails returns the last n lines of every component's log.
func (c *Cluster) logTails(n int) string {
	var b strings.Builder
	for _, p := range c.procs {
		fmt.Fprintf(&b, "--- %s (%s)\n%s\n", p.name, p.logPath, p.logTail(n))
	}
	return b.String()
}

// start finds the binaries and brings a cluster up, retrying with new ports when one was
// taken between choosing and binding it.
func start() (*Cluster, error) {
	wd, err := os.Getwd()
	if err != nil {
		return nil, fmt.Errorf("kubecluster: working directory: %w", err)
	}
	in, err := locate(os.Getenv, wd)
	if err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		c, err := startOnce(in)
		if err == nil {
			return c, nil
		}
		if !errors.Is(err, errPortInUse) || attempt == maxAttempts {
			return nil, fmt.Errorf("kubecluster: start: %w", err)
		}
	}
}

// startOnce runs every component on fresh ports in a fresh directory. On failure it stops
// what it started and removes the directory.
func startOnce(in install) (c *Cluster, err error) {
	dir, err := os.MkdirTemp("", "kubecluster-")
	if err != nil {
		return nil, fmt.Errorf("temporary dir: %w", err)
	}
	c = &Cluster{dir: dir}
	defer func() {
		if err != nil {
			for _, p := range c.procs {
				if p.portInUse() {
					err = fmt.Errorf("%w: %w", errPortInUse, err)
					break
				}
			}
			c.Stop()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 2*readyTimeout)
	defer cancel()

	p, err := newPKI(filepath.Join(dir, "pki"))
	if err != nil {
		return c, err
	}
	c.caPEM = p.caPEM
	ports, err := freePorts(5)
	if err != nil {
		return c, err
	}
	pt := portSet{etcdClient: ports[0], etcdPeer: ports[1], apiserver: ports[2], kcm: ports[3], scheduler: ports[4]}
	c.server = "https://" + hostPort(pt.apiserver)
	if err := c.writeAdminKubeconfig(p); err != nil {
		return c, err
	}
	if err := c.runControlPlane(ctx, in, p, pt); err != nil {
		return c, err
	}
	if err := c.runKwok(ctx, in); err != nil {
		return c, err
	}
	return c, nil
}
