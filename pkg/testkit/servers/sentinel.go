package servers

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// SentinelMaster is the name the Sentinel set monitors its master under.
const SentinelMaster = "heraldmaster"

// Sentinel is a Redis master, one replica and three sentinels that fail the
// master over when it dies (down after 1 s) or when asked to.
type Sentinel struct {
	t         testing.TB
	nodes     []*Redis // master and replica, in start order; roles move on failover
	sentinels []*proc
	ports     []int
}

// StartSentinel starts the set and returns once the replica is in sync and
// every sentinel knows the replica and the other sentinels (so a failover
// can happen at once).
func StartSentinel(t testing.TB, opts RedisOptions) *Sentinel {
	t.Helper()
	s := &Sentinel{t: t}
	master := newRedis(t, opts, freePort(t, false), nil)
	master.start()
	replica := newRedis(t, opts, freePort(t, false), []string{"--replicaof", "127.0.0.1", strconv.Itoa(master.port)})
	replica.start()
	s.nodes = []*Redis{master, replica}
	if err := waitFor(30*time.Second, func() error { return linkUp(replica) }); err != nil {
		t.Fatalf("servers: replica never synced: %v", err)
	}
	// Each sentinel is told its id, the replica and the other sentinels up
	// front (the lines Sentinel itself writes when it learns them), so the
	// set is whole at once instead of after its 10 s INFO and 2 s hello
	// rounds.
	bin := binary(t, "redis-server", "redis-server")
	ids := make([]string, 3)
	for i := range ids {
		ids[i] = fmt.Sprintf("%040x", uint64(time.Now().UnixNano())+uint64(i))
		s.ports = append(s.ports, freePort(t, false))
	}
	for i, port := range s.ports {
		dir := workDir(t, "sentinel-"+strconv.Itoa(port), "")
		conf := filepath.Join(dir, "sentinel.conf")
		var known strings.Builder
		for j, other := range s.ports {
			if j != i {
				fmt.Fprintf(&known, "sentinel known-sentinel %s 127.0.0.1 %d %s\n", SentinelMaster, other, ids[j])
			}
		}
		writeFile(t, conf, fmt.Sprintf(`port %d
bind 127.0.0.1
protected-mode no
dir %s
sentinel myid %s
sentinel resolve-hostnames no
sentinel monitor %s 127.0.0.1 %d 2
sentinel down-after-milliseconds %[4]s 1000
sentinel failover-timeout %[4]s 10000
sentinel parallel-syncs %[4]s 1
sentinel known-replica %[4]s 127.0.0.1 %[6]d
%[7]s`, port, dir, ids[i], SentinelMaster, master.port, replica.port, known.String()), "")
		p := spawn(t, "sentinel "+strconv.Itoa(i), bin, []string{conf, "--sentinel"}, filepath.Join(dir, "sentinel.log"), "")
		s.sentinels = append(s.sentinels, p)
	}
	t.Cleanup(func() {
		reportOnFailure(t, func() *proc { return s.sentinels[0] }, func() *proc { return s.sentinels[1] })
		for _, p := range s.sentinels {
			p.signal(syscall.SIGKILL, 5*time.Second)
		}
	})
	err := waitFor(60*time.Second, func() error {
		for i := range s.sentinels {
			c := s.sentinelClient(i)
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			replicas, err := c.Replicas(ctx, SentinelMaster).Result()
			if err == nil && len(replicas) < 1 {
				err = fmt.Errorf("sentinel %d sees no replica", i)
			}
			if err == nil {
				var others []map[string]string
				others, err = c.Sentinels(ctx, SentinelMaster).Result()
				if err == nil && len(others) < 2 {
					err = fmt.Errorf("sentinel %d sees %d other sentinels", i, len(others))
				}
			}
			cancel()
			c.Close()
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("servers: Sentinel set not formed: %v", err)
	}
	return s
}

func (s *Sentinel) sentinelClient(i int) *redis.SentinelClient {
	return redis.NewSentinelClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(s.ports[i]), MaxRetries: -1, DialTimeout: time.Second})
}

// URL is a redis-sentinel:// URL of the three sentinels, for database db.
func (s *Sentinel) URL(db int) string {
	addrs := make([]string, len(s.ports))
	for i, p := range s.ports {
		addrs[i] = "127.0.0.1:" + strconv.Itoa(p)
	}
	return fmt.Sprintf("redis-sentinel://%s/%s/%d", strings.Join(addrs, ","), SentinelMaster, db)
}

// MasterAddr is the master's address as the sentinels report it.
func (s *Sentinel) MasterAddr() string {
	s.t.Helper()
	var addr string
	err := waitFor(10*time.Second, func() error {
		for i := range s.sentinels {
			if !s.sentinels[i].running() {
				continue
			}
			c := s.sentinelClient(i)
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			hp, err := c.GetMasterAddrByName(ctx, SentinelMaster).Result()
			cancel()
			c.Close()
			if err == nil && len(hp) == 2 {
				addr = hp[0] + ":" + hp[1]
				return nil
			}
		}
		return fmt.Errorf("no sentinel answers")
	})
	if err != nil {
		s.t.Fatalf("servers: master address: %v", err)
	}
	return addr
}

// Master is the node that is master now.
func (s *Sentinel) Master() *Redis {
	s.t.Helper()
	addr := s.MasterAddr()
	for _, n := range s.nodes {
		if n.Addr() == addr {
			return n
		}
	}
	s.t.Fatalf("servers: master %s is not one of ours", addr)
	return nil
}

// Failover asks the sentinels to promote the replica (SENTINEL FAILOVER, as
// an operator does before maintenance) and waits until the new master
// serves. The old master follows it within about 10 s (the sentinels' INFO
// round).
func (s *Sentinel) Failover() {
	s.t.Helper()
	old := s.Master()
	c := s.sentinelClient(0)
	defer c.Close()
	if err := waitFor(20*time.Second, func() error {
		return c.Failover(context.Background(), SentinelMaster).Err()
	}); err != nil {
		s.t.Fatalf("servers: SENTINEL FAILOVER: %v", err)
	}
	s.waitNewMaster(old, 30*time.Second)
}

// KillMaster kills the master with -9 and waits until the sentinels have
// promoted the replica; the dead node stays down. What the replica had not
// received yet is lost, as in a real crash.
func (s *Sentinel) KillMaster() *Redis {
	s.t.Helper()
	old := s.Master()
	err := waitFor(30*time.Second, func() error {
		for _, n := range s.nodes {
			if n != old && n.Running() && linkUp(n) == nil {
				return nil
			}
		}
		return fmt.Errorf("no replica in sync with %s", old.Addr())
	})
	if err != nil {
		s.t.Fatalf("servers: %v", err)
	}
	old.Kill()
	s.waitNewMaster(old, 60*time.Second)
	return old
}

func (s *Sentinel) waitNewMaster(old *Redis, timeout time.Duration) {
	s.t.Helper()
	err := waitFor(timeout, func() error {
		if addr := s.MasterAddr(); addr == old.Addr() {
			return fmt.Errorf("sentinels still name %s", addr)
		}
		c := s.Master().Client()
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if role, err := info(ctx, c, "replication", "role"); err != nil || role != "master" {
			return fmt.Errorf("new master's role is %q (%v)", role, err)
		}
		return nil
	})
	if err != nil {
		s.t.Fatalf("servers: no failover: %v", err)
	}
}

// linkUp reports whether a replica's link to its master is up.
func linkUp(r *Redis) error {
	c := r.Client()
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	status, err := info(ctx, c, "replication", "master_link_status")
	if err != nil {
		return err
	}
	if status != "up" {
		return fmt.Errorf("master_link_status %q", status)
	}
	return nil
}
