package kube

import "testing"

func TestParseTarget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, ns  string
		want    Target
		wantErr bool
	}{
		{"api", "shop", Target{KindDeployment, "api", "shop"}, false},
		{"statefulset/db", "", Target{KindStatefulSet, "db", "default"}, false},
		{"DS/node-agent", "ops", Target{KindDaemonSet, "node-agent", "ops"}, false},
		{"deploy/web.v2", "x", Target{KindDeployment, "web.v2", "x"}, false},
		{"cronjob/x", "x", Target{}, true},
		{"Api", "x", Target{}, true},
		{"-api", "x", Target{}, true},
		{"", "x", Target{}, true},
	}
	for _, tt := range tests {
		got, err := ParseTarget(tt.in, tt.ns)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseTarget(%q, %q) = %+v, %v", tt.in, tt.ns, got, err)
		}
	}
	if s := (Target{KindStatefulSet, "db", "x"}).String(); s != "statefulset/db" {
		t.Errorf("String() = %q", s)
	}
}
