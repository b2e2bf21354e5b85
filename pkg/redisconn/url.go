package redisconn

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Mode is how Herald reaches Redis.
type Mode string

const (
	// Single is one server (redis://, rediss://, unix://), or a managed
	// endpoint that follows its primary.
	Single Mode = "single"
	// Sentinel asks Redis Sentinel where the master is, and asks again
	// after a failover (redis-sentinel://).
	Sentinel Mode = "sentinel"
	// Cluster spreads keys over a Redis Cluster's masters by hash slot
	// (redis-cluster://).
	Cluster Mode = "cluster"
)

// clusterReload is how often a cluster client re-reads the slot map. A dead
// master answers nothing, so without a periodic reload the client would keep
// sending its slots' commands there for go-redis's default of a minute after
// a replica took over.
const clusterReload = 2 * time.Second

// Target is a parsed HERALD_REDIS_URL.
type Target struct {
	Mode     Mode
	single   *redis.Options
	failover *redis.FailoverOptions
	cluster  *redis.ClusterOptions
}

// ParseURL reads the three forms of HERALD_REDIS_URL:
//
//	redis://[user:password@]host:port[/db]         (also rediss:// and unix://)
//	redis-sentinel://[user:password@]host:port[,host:port...]/MASTER[/db]
//	redis-cluster://[user:password@]host:port[,host:port...]
//
// Credentials are the Redis servers'; Sentinel's own go in the query as
// sentinel_username and sentinel_password. A port left out is 26379 for a
// sentinel and 6379 for a cluster node.
func ParseURL(raw string) (Target, error) {
	scheme, _, ok := strings.Cut(raw, "://")
	if !ok {
		return Target{}, errors.New("not a URL: use redis://host:port/db, redis-sentinel://host:port,host:port/MASTER/db or redis-cluster://host:port,host:port")
	}
	switch scheme {
	case "redis", "rediss", "unix":
		opts, err := redis.ParseURL(raw)
		if err != nil {
			return Target{}, err
		}
		return Target{Mode: Single, single: opts}, nil
	case "redis-sentinel":
		return parseSentinel(raw)
	case "redis-cluster":
		return parseCluster(raw)
	default:
		return Target{}, fmt.Errorf("scheme %q is not redis, rediss, unix, redis-sentinel or redis-cluster", scheme)
	}
}

// multiHost is the part of a URL that net/url cannot parse: several hosts.
type multiHost struct {
	user, password string
	hosts          []string
	path           string
	query          url.Values
}

func splitMultiHost(raw string, defaultPort int) (multiHost, error) {
	_, rest, _ := strings.Cut(raw, "://")
	var m multiHost
	rest, rawQuery, _ := strings.Cut(rest, "?")
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return m, fmt.Errorf("query: %w", err)
	}
	m.query = q
	authority, path, _ := strings.Cut(rest, "/")
	m.path = path
	if at := strings.LastIndex(authority, "@"); at >= 0 {
		userinfo := authority[:at]
		authority = authority[at+1:]
		u, p, hasPassword := strings.Cut(userinfo, ":")
		if m.user, err = url.PathUnescape(u); err != nil {
			return m, fmt.Errorf("user name: %w", err)
		}
		if hasPassword {
			if m.password, err = url.PathUnescape(p); err != nil {
				return m, fmt.Errorf("password: %w", err)
			}
		}
	}
	for _, h := range strings.Split(authority, ",") {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		host, port, err := net.SplitHostPort(h)
		if err != nil {
			host, port = h, strconv.Itoa(defaultPort)
		}
		if host == "" {
			return m, fmt.Errorf("address %q has no host", h)
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return m, fmt.Errorf("address %q: bad port", h)
		}
		m.hosts = append(m.hosts, net.JoinHostPort(host, port))
	}
	if len(m.hosts) == 0 {
		return m, errors.New("no host:port")
	}
	return m, nil
}

// take removes and returns a query parameter.
func (m *multiHost) take(name string) string {
	v := m.query.Get(name)
	m.query.Del(name)
	return v
}

// rejectUnknown fails on a query parameter nobody took.
func (m *multiHost) rejectUnknown() error {
	for k := range m.query {
		return fmt.Errorf("unknown query parameter %q", k)
	}
	return nil
}

func parseSentinel(raw string) (Target, error) {
	m, err := splitMultiHost(raw, 26379)
	if err != nil {
		return Target{}, fmt.Errorf("redis-sentinel URL: %w", err)
	}
	parts := strings.Split(strings.Trim(m.path, "/"), "/")
	if parts[0] == "" || len(parts) > 2 {
		return Target{}, errors.New("redis-sentinel URL: the path must be /MASTER or /MASTER/DB, MASTER being the name the sentinels monitor")
	}
	db := 0
	if len(parts) == 2 {
		if db, err = strconv.Atoi(parts[1]); err != nil || db < 0 {
			return Target{}, fmt.Errorf("redis-sentinel URL: database %q is not a number", parts[1])
		}
	}
	opts := &redis.FailoverOptions{
		MasterName: parts[0], SentinelAddrs: m.hosts, DB: db,
		Username: m.user, Password: m.password,
		SentinelUsername: m.take("sentinel_username"), SentinelPassword: m.take("sentinel_password"),
	}
	if err := m.rejectUnknown(); err != nil {
		return Target{}, fmt.Errorf("redis-sentinel URL: %w (known: sentinel_username, sentinel_password)", err)
	}
	return Target{Mode: Sentinel, failover: opts}, nil
}

func parseCluster(raw string) (Target, error) {
	m, err := splitMultiHost(raw, 6379)
	if err != nil {
		return Target{}, fmt.Errorf("redis-cluster URL: %w", err)
	}
	if p := strings.Trim(m.path, "/"); p != "" && p != "0" {
		return Target{}, errors.New("redis-cluster URL: a cluster has only database 0; leave the path out")
	}
	if err := m.rejectUnknown(); err != nil {
		return Target{}, fmt.Errorf("redis-cluster URL: %w", err)
	}
	return Target{Mode: Cluster, cluster: &redis.ClusterOptions{
		Addrs: m.hosts, Username: m.user, Password: m.password,
		ClusterStateReloadInterval: clusterReload,
	}}, nil
}

// NewClient builds the client the target needs; it connects lazily.
func (t Target) NewClient() redis.UniversalClient {
	switch t.Mode {
	case Sentinel:
		return redis.NewFailoverClient(t.failover)
	case Cluster:
		return redis.NewClusterClient(t.cluster)
	default:
		return redis.NewClient(t.single)
	}
}

// String describes the target without credentials, for logs.
func (t Target) String() string {
	switch t.Mode {
	case Sentinel:
		return fmt.Sprintf("sentinel master %q via %s, db %d", t.failover.MasterName, strings.Join(t.failover.SentinelAddrs, ","), t.failover.DB)
	case Cluster:
		return "cluster via " + strings.Join(t.cluster.Addrs, ",")
	default:
		return fmt.Sprintf("%s db %d", t.single.Addr, t.single.DB)
	}
}
