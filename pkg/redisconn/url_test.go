package redisconn

import (
	"strings"
	"testing"
)

func TestParseURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		url, want string
		mode      Mode
	}{
		{"redis://127.0.0.1:6379/3", "127.0.0.1:6379 db 3", Single},
		{"rediss://user:pw@cache.example:6380/0", "cache.example:6380 db 0", Single},
		{"redis-sentinel://s1:26379,s2:26380,s3/main/2", `sentinel master "main" via s1:26379,s2:26380,s3:26379, db 2`, Sentinel},
		{"redis-sentinel://:pw@s1/main?sentinel_password=spw", `sentinel master "main" via s1:26379, db 0`, Sentinel},
		{"redis-cluster://n1:7000,n2:7001,[::1]:7002", "cluster via n1:7000,n2:7001,[::1]:7002", Cluster},
		{"redis-cluster://n1,n2/", "cluster via n1:6379,n2:6379", Cluster},
	} {
		got, err := ParseURL(tc.url)
		if err != nil {
			t.Errorf("%s: %v", tc.url, err)
			continue
		}
		if got.Mode != tc.mode || got.String() != tc.want {
			t.Errorf("%s: %s %q, want %s %q", tc.url, got.Mode, got.String(), tc.mode, tc.want)
		}
	}
}

func TestParseURLCredentials(t *testing.T) {
	t.Parallel()
	s, err := ParseURL("redis-sentinel://app:p%40ss@s1,s2/main/1?sentinel_username=watch&sentinel_password=spw")
	if err != nil {
		t.Fatal(err)
	}
	f := s.failover
	if f.Username != "app" || f.Password != "p@ss" || f.SentinelUsername != "watch" || f.SentinelPassword != "spw" || f.DB != 1 {
		t.Fatalf("failover options %+v", f)
	}
	c, err := ParseURL("redis-cluster://:secret@n1:7000")
	if err != nil {
		t.Fatal(err)
	}
	if c.cluster.Password != "secret" || c.cluster.ClusterStateReloadInterval != clusterReload {
		t.Fatalf("cluster options %+v", c.cluster)
	}
}

func TestParseURLRejects(t *testing.T) {
	t.Parallel()
	for url, want := range map[string]string{
		"http://nope":                        "scheme",
		"127.0.0.1:6379":                     "not a URL",
		"redis-sentinel://s1,s2":             "/MASTER",
		"redis-sentinel://s1/main/x":         "not a number",
		"redis-sentinel://s1/main/1/2":       "/MASTER",
		"redis-sentinel://s1/main?tls=maybe": "unknown query parameter",
		"redis-cluster://n1,n2/3":            "only database 0",
		"redis-cluster://":                   "no host",
		"redis-cluster://n1:99999":           "bad port",
		"redis-cluster://:7000":              "no host",
	} {
		_, err := ParseURL(url)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one mentioning %q", url, err, want)
		}
	}
}
