package kubecluster

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The fake node: kwok manages the nodes carrying this annotation, and only those.
const (
	fakeNodeName       = "kwok-node-0"
	fakeNodeAnnotation = "kwok.x-k8s.io/node"
	fakeNodeValue      = "fake"
)

// runKwok starts kwok with the stage file, registers the fake Node and waits until it is
// Ready and untainted, so that pods are scheduled at once.
func (c *Cluster) runKwok(ctx context.Context, in install) error {
	kwok, err := c.run(in, "kwok", flags(
		"kubeconfig", c.KubeconfigPath,
		"config", in.stages,
		"manage-all-nodes", "false",
		"manage-nodes-with-annotation-selector", fakeNodeAnnotation+"="+fakeNodeValue,
		"node-lease-duration-seconds", "40",
		"cidr", podRange,
		"node-ip", nodeIP,
	))
	if err != nil {
		return err
	}
	node := fakeNode()
	cctx, cancel := context.WithTimeout(ctx, apiTimeout)
	defer cancel()
	if _, err := c.Client.CoreV1().Nodes().Create(cctx, node, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create node %s: %w", node.Name, err)
	}
	c.NodeName = node.Name
	err = poll(ctx, readyTimeout, []*proc{kwok}, func(ctx context.Context) (bool, error) {
		n, err := c.Client.CoreV1().Nodes().Get(ctx, node.Name, metav1.GetOptions{})
		if err != nil {
			return false, nil // transient; the deadline bounds it
		}
		// The node starts with the not-ready taint, which the controller manager removes
		// once kwok reports it Ready; until then the scheduler records FailedScheduling
		// warnings that tests reading events would see.
		if len(n.Spec.Taints) > 0 {
			return false, nil
		}
		for _, cond := range n.Status.Conditions {
			if cond.Type == corev1.NodeReady && cond.Status == corev1.ConditionTrue {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		return fmt.Errorf("node %s: %w", node.Name, err)
	}
	return nil
}

// fakeNode is the Node kwok plays the kubelet of: big enough for any test (32 CPUs,
// 256 GiB, 110 pods) and without taints, so pods need no tolerations.
func fakeNode() *corev1.Node {
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("32"),
		corev1.ResourceMemory: resource.MustParse("256Gi"),
		corev1.ResourcePods:   resource.MustParse("110"),
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:        fakeNodeName,
			Annotations: map[string]string{fakeNodeAnnotation: fakeNodeValue},
			Labels: map[string]string{
				"kubernetes.io/hostname": fakeNodeName,
				"kubernetes.io/os":       "linux",
				"kubernetes.io/arch":     "amd64",
				"type":                   "kwok",
			},
		},
		Status: corev1.NodeStatus{
			Capacity:    capacity,
			Allocatable: capacity.DeepCopy(),
			Phase:       corev1.NodeRunning,
		},
	}
}
