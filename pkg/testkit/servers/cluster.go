package servers

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Cluster is a Redis Cluster of three masters, each with one replica. A
// master that dies is replaced by its replica within a few seconds
// (cluster-node-timeout 2 s).
type Cluster struct {
	t     testing.TB
	nodes []*Redis
}

// StartCluster starts six nodes, joins them (redis-cli --cluster create) and
// returns once every slot is served and every node agrees.
func StartCluster(t testing.TB, opts RedisOptions) *Cluster {
	t.Helper()
	c := &Cluster{t: t}
	addrs := make([]string, 6)
	for i := range addrs {
		n := newRedis(t, opts, freePort(t, true), []string{
			"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
			"--cluster-node-timeout", "2000", "--cluster-replica-validity-factor", "0",
		})
		n.start()
		c.nodes = append(c.nodes, n)
		addrs[i] = n.Addr()
	}
	cli := binary(t, "redis-cli", "redis-tools")
	out, err := exec.Command(cli, append(append([]string{"--cluster", "create"}, addrs...), "--cluster-replicas", "1", "--cluster-yes")...).CombinedOutput()
	if err != nil {
		t.Fatalf("servers: redis-cli --cluster create: %v\n%s", err, out)
	}
	c.waitHealthy(60 * time.Second)
	return c
}

// URL is a redis-cluster:// URL naming every node.
func (c *Cluster) URL() string {
	addrs := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		addrs[i] = n.Addr()
	}
	return "redis-cluster://" + strings.Join(addrs, ",")
}

// Nodes are the six nodes, masters and replicas alike.
func (c *Cluster) Nodes() []*Redis { return c.nodes }

// clusterNode is one line of CLUSTER NODES.
type clusterNode struct {
	id, addr, masterID string
	master, failed     bool
	slots              int
}

func (c *Cluster) view(n *Redis) ([]clusterNode, error) {
	cl := n.Client()
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	text, err := cl.ClusterNodes(ctx).Result()
	if err != nil {
		return nil, err
	}
	var out []clusterNode
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		f := strings.Fields(line)
		if len(f) < 8 {
			continue
		}
		addr, _, _ := strings.Cut(f[1], "@")
		cn := clusterNode{id: f[0], addr: addr, masterID: f[3],
			master: strings.Contains(f[2], "master"), failed: strings.Contains(f[2], "fail")}
		for _, r := range f[8:] {
			if lo, hi, ok := strings.Cut(r, "-"); ok {
				a, _ := strconv.Atoi(lo)
				b, _ := strconv.Atoi(hi)
				cn.slots += b - a + 1
			} else if !strings.HasPrefix(r, "[") {
				cn.slots++
			}
		}
		out = append(out, cn)
	}
	return out, nil
}

// waitHealthy waits until every running node reports cluster_state:ok and
// sees all 16384 slots served by masters that are not failed.
func (c *Cluster) waitHealthy(timeout time.Duration) {
	c.t.Helper()
	err := waitFor(timeout, func() error {
		for _, n := range c.nodes {
			if n.Running() {
				if err := c.healthyFrom(n); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		c.t.Fatalf("servers: cluster not healthy: %v", err)
	}
}

func (c *Cluster) healthyFrom(n *Redis) error {
	cl := n.Client()
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	text, err := cl.ClusterInfo(ctx).Result()
	if err != nil {
		return err
	}
	if !strings.Contains(text, "cluster_state:ok") {
		return fmt.Errorf("%s: cluster_state not ok", n.Addr())
	}
	view, err := c.view(n)
	if err != nil {
		return err
	}
	slots := 0
	for _, v := range view {
		if v.master && !v.failed {
			slots += v.slots
		}
	}
	if slots != 16384 {
		return fmt.Errorf("%s sees %d slots served", n.Addr(), slots)
	}
	return nil
}

// Masters are the nodes serving slots now.
func (c *Cluster) Masters() []*Redis {
	c.t.Helper()
	for _, n := range c.nodes {
		if !n.Running() {
			continue
		}
		view, err := c.view(n)
		if err != nil {
			continue
		}
		var out []*Redis
		for _, v := range view {
			if v.master && !v.failed && v.slots > 0 {
				out = append(out, c.byAddr(v.addr))
			}
		}
		return out
	}
	c.t.Fatal("servers: no cluster node answers")
	return nil
}

func (c *Cluster) byAddr(addr string) *Redis {
	for _, n := range c.nodes {
		if n.Addr() == addr {
			return n
		}
	}
	c.t.Fatalf("servers: cluster node %s is not one of ours", addr)
	return nil
}

// MasterOf is the master serving key's slot now.
func (c *Cluster) MasterOf(key string) *Redis {
	c.t.Helper()
	for _, n := range c.Masters() {
		cl := n.Client()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		slot, err := cl.ClusterKeySlot(ctx, key).Result()
		var slots []redis.ClusterSlot
		if err == nil {
			//lint:ignore SA1019 CLUSTER SLOTS answers on every Redis this runs on; its replacement needs Redis 7
			slots, err = cl.ClusterSlots(ctx).Result()
		}
		cancel()
		cl.Close()
		if err != nil {
			continue
		}
		for _, s := range slots {
			if int(slot) >= s.Start && int(slot) <= s.End && len(s.Nodes) > 0 {
				return c.byAddr(s.Nodes[0].Addr)
			}
		}
	}
	c.t.Fatalf("servers: no master found for %q", key)
	return nil
}

// KillMaster kills master m with -9 and waits until its replica has taken
// over its slots and the cluster is whole again; m stays down. Writes m had
// not passed on to its replica are lost, as in a real crash.
func (c *Cluster) KillMaster(m *Redis) {
	c.t.Helper()
	m.Kill()
	err := waitFor(60*time.Second, func() error {
		for _, x := range c.Masters() {
			if x == m {
				return fmt.Errorf("%s still serves slots", m.Addr())
			}
		}
		if len(c.Masters()) < 3 {
			return errNotYet
		}
		return nil
	})
	if err != nil {
		c.t.Fatalf("servers: replica of %s never took over: %v", m.Addr(), err)
	}
	c.waitHealthy(60 * time.Second)
}
