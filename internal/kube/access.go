package kube

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	metricsclientset "k8s.io/metrics/pkg/client/clientset/versioned"
)

// serviceAccountDir is where Kubernetes mounts a pod's service account credentials.
const serviceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount"

// AccessOptions says how to reach the Kubernetes API.
type AccessOptions struct {
	// Kubeconfig is the kubeconfig's content (YAML or JSON) or a path to it. Empty means the
	// in-cluster config when running in a pod, else $KUBECONFIG, else ~/.kube/config.
	Kubeconfig string
	// Context is the kubeconfig context to use; empty means its current context.
	Context string
	// Getenv reads the environment (injected so tests and callers control it).
	Getenv func(string) string
	// UserAgent identifies deploywatch to the API server.
	UserAgent string

	// saDir overrides serviceAccountDir in tests.
	saDir string
}

// Client holds the clients deploywatch talks to the cluster with.
type Client struct {
	// Kube is the core clientset.
	Kube kubernetes.Interface
	// Metrics reads metrics.k8s.io (CPU and memory per pod).
	Metrics metricsclientset.Interface
	// Host is the API server URL, for messages.
	Host string
	// Namespace is the namespace of the kubeconfig context (or the pod's, in a cluster); ""
	// when none is set.
	Namespace string
}

// NewClient builds the clients from the first source of credentials that applies: the
// kubeconfig given, the in-cluster service account, $KUBECONFIG, ~/.kube/config. Its
// errors never quote the kubeconfig's content.
func NewClient(o AccessOptions) (*Client, error) {
	getenv := o.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	cfg, ns, err := accessRESTConfig(o, getenv)
	if err != nil {
		return nil, err
	}
	if o.UserAgent != "" {
		cfg.UserAgent = o.UserAgent
	}
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return boundedTransport{base: rt} })
	if cfg.QPS == 0 {
		// client-go's default (5/s, burst 10) would queue the preflight's reviews and the
		// pod checks behind its own rate limiter; kubectl allows 50/s too.
		cfg.QPS, cfg.Burst = 50, 100
	}
	kc, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	mc, err := metricsclientset.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("metrics client: %w", err)
	}
	return &Client{Kube: kc, Metrics: mc, Host: cfg.Host, Namespace: ns}, nil
}

// accessRESTConfig picks the source of credentials and returns its config and namespace.
func accessRESTConfig(o AccessOptions, getenv func(string) string) (*rest.Config, string, error) {
	switch {
	case o.Kubeconfig != "" && accessIsContent(o.Kubeconfig):
		raw, err := clientcmd.Load([]byte(o.Kubeconfig))
		if err != nil {
			// The decoder's message may quote the input; the input may hold a token.
			return nil, "", errors.New("kubeconfig input: content is not a valid kubeconfig (YAML or JSON)")
		}
		return accessFromKubeconfig(raw, o.Context, "kubeconfig input")
	case o.Kubeconfig != "":
		path := accessExpandHome(strings.TrimSpace(o.Kubeconfig), getenv)
		raw, err := accessLoadFile(path)
		if err != nil {
			return nil, "", err
		}
		return accessFromKubeconfig(raw, o.Context, "kubeconfig "+path)
	case o.Context == "" && getenv("KUBERNETES_SERVICE_HOST") != "":
		// A context names a kubeconfig entry, so asking for one rules the pod's own
		// service account out.
		return accessInCluster(o, getenv)
	}
	if env := getenv("KUBECONFIG"); env != "" {
		rules := &clientcmd.ClientConfigLoadingRules{Precedence: filepath.SplitList(env)}
		raw, err := rules.Load()
		if err != nil {
			// As for a single file, the decoder's message could quote the content.
			return nil, "", fmt.Errorf("kubeconfig $KUBECONFIG (%s): a file is not a valid kubeconfig (YAML or JSON)", env)
		}
		if len(raw.Contexts) == 0 && len(raw.Clusters) == 0 {
			return nil, "", fmt.Errorf("kubeconfig $KUBECONFIG (%s): no such file or no cluster in it", env)
		}
		return accessFromKubeconfig(raw, o.Context, "kubeconfig $KUBECONFIG")
	}
	home := getenv("HOME")
	if home == "" {
		return nil, "", errNoAccess
	}
	path := filepath.Join(home, ".kube", "config")
	raw, err := accessLoadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", errNoAccess
	}
	if err != nil {
		return nil, "", err
	}
	return accessFromKubeconfig(raw, o.Context, "kubeconfig "+path)
}

// errNoAccess says every source was tried.
var errNoAccess = errors.New("no Kubernetes credentials: no kubeconfig input, not running in a cluster " +
	"(KUBERNETES_SERVICE_HOST unset), $KUBECONFIG unset and no ~/.kube/config")

// accessIsContent tells the kubeconfig's content from a path: a path is one line and
// does not start like a kubeconfig document.
func accessIsContent(s string) bool {
	t := strings.TrimSpace(s)
	return strings.Contains(t, "\n") || strings.HasPrefix(t, "apiVersion") || strings.HasPrefix(t, "{")
}

// accessExpandHome resolves a leading "~/" the way a shell would have.
func accessExpandHome(path string, getenv func(string) string) string {
	if rest, ok := strings.CutPrefix(path, "~/"); ok && getenv("HOME") != "" {
		return filepath.Join(getenv("HOME"), rest)
	}
	return path
}

// accessLoadFile reads a kubeconfig file, resolving the relative paths inside it (certificate
// files) against its folder as kubectl does.
func accessLoadFile(path string) (*clientcmdapi.Config, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("kubeconfig %s: %w", path, fs.ErrNotExist)
	} else if err != nil {
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	raw, err := clientcmd.LoadFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("kubeconfig %s: not a valid kubeconfig (YAML or JSON)", path)
	}
	if err := clientcmd.ResolveLocalPaths(raw); err != nil {
		return nil, fmt.Errorf("kubeconfig %s: %w", path, err)
	}
	return raw, nil
}

// accessFromKubeconfig builds the config of one context of a loaded kubeconfig.
func accessFromKubeconfig(raw *clientcmdapi.Config, context, source string) (*rest.Config, string, error) {
	name := context
	if name == "" {
		name = raw.CurrentContext
	}
	if name == "" {
		return nil, "", fmt.Errorf("%s: no current-context; set kube_context to one of: %s", source, accessContextNames(raw))
	}
	kctx, ok := raw.Contexts[name]
	if !ok {
		return nil, "", fmt.Errorf("%s: no context %q; it has: %s", source, name, accessContextNames(raw))
	}
	cfg, err := clientcmd.NewNonInteractiveClientConfig(*raw, name, &clientcmd.ConfigOverrides{}, nil).ClientConfig()
	if err != nil {
		return nil, "", fmt.Errorf("%s: context %q: %w", source, name, err)
	}
	return cfg, kctx.Namespace, nil
}

// accessContextNames lists a kubeconfig's contexts for an error message.
func accessContextNames(raw *clientcmdapi.Config) string {
	if len(raw.Contexts) == 0 {
		return "no contexts"
	}
	names := make([]string, 0, len(raw.Contexts))
	for n := range raw.Contexts {
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// accessInCluster builds the config of the pod's service account, as rest.InClusterConfig does
// but reading the environment through getenv.
func accessInCluster(o AccessOptions, getenv func(string) string) (*rest.Config, string, error) {
	dir := o.saDir
	if dir == "" {
		dir = serviceAccountDir
	}
	host, port := getenv("KUBERNETES_SERVICE_HOST"), getenv("KUBERNETES_SERVICE_PORT")
	if port == "" {
		return nil, "", errors.New("in-cluster config: KUBERNETES_SERVICE_PORT is unset")
	}
	tokenFile := filepath.Join(dir, "token")
	token, err := os.ReadFile(tokenFile)
	if err != nil {
		return nil, "", fmt.Errorf("in-cluster config: service account token: %w", err)
	}
	cfg := &rest.Config{
		Host:            "https://" + net.JoinHostPort(host, port),
		BearerToken:     strings.TrimSpace(string(token)),
		BearerTokenFile: tokenFile,
	}
	if ca := filepath.Join(dir, "ca.crt"); accessFileExists(ca) {
		cfg.TLSClientConfig.CAFile = ca
	}
	ns, _ := os.ReadFile(filepath.Join(dir, "namespace"))
	return cfg, strings.TrimSpace(string(ns)), nil
}

func accessFileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// requestTimeout bounds every API request but a watch or a followed log: the API server
// answers in milliseconds, and a request it holds (overloaded, behind a stuck proxy) must
// cost a probe error, never the run. Watches stay open; the rollout follower reads the
// workload again now and then in case its watch stalls.
const requestTimeout = 10 * time.Second

// boundedTransport applies requestTimeout, through the request's context so that reading
// the answer counts too; the context is released with the body.
type boundedTransport struct{ base http.RoundTripper }

func (t boundedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	q := r.URL.Query()
	if q.Get("watch") == "true" || q.Get("watch") == "1" || q.Get("follow") == "true" {
		return t.base.RoundTrip(r)
	}
	ctx, cancel := context.WithTimeout(r.Context(), requestTimeout)
	resp, err := t.base.RoundTrip(r.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = releasingBody{ReadCloser: resp.Body, release: cancel}
	return resp, nil
}

type releasingBody struct {
	io.ReadCloser
	release context.CancelFunc
}

func (b releasingBody) Close() error {
	err := b.ReadCloser.Close()
	b.release()
	return err
}

// accessReview asks the API server whether the credentials may do what review describes,
// trying again while the server answers a transient error.
func accessReview(ctx context.Context, c kubernetes.Interface, review *authorizationv1.SelfSubjectAccessReview) (*authorizationv1.SelfSubjectAccessReview, error) {
	var got *authorizationv1.SelfSubjectAccessReview
	err := retryTransient(ctx, func() (err error) {
		got, err = c.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, review, metav1.CreateOptions{})
		return err
	})
	return got, err
}
