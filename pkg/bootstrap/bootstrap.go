// Package bootstrap opens what every Herald process stands on: the database,
// Redis and the master key, from the shared part of the configuration. With
// no database or Redis URL it falls back to embedded storage for development
// and says so loudly.
package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/envconf"
	"github.com/heraldpush/herald/pkg/masterkey"
	"github.com/heraldpush/herald/pkg/pushendpoint"
	"github.com/heraldpush/herald/pkg/redisconn"
	"github.com/heraldpush/herald/pkg/vapid"
)

// DevVAPIDSubject is the VAPID subject used when none is configured in dev
// mode: a placeholder FCM and Mozilla accept and Apple refuses, so Open warns.
const DevVAPIDSubject = "mailto:dev@herald.invalid"

// Config is the configuration every process shares.
type Config struct {
	DatabaseURL string
	// DatabasePoolSize is the most PostgreSQL connections this process
	// keeps open (HERALD_DATABASE_POOL_SIZE).
	DatabasePoolSize int
	RedisURL         string
	MasterKey        string
	DataDir          string
	VAPIDSubject     string
	Endpoints        *pushendpoint.Policy
	// WebhookOrigins are the origins webhooks may reach besides public
	// addresses (HERALD_WEBHOOK_EXTRA_ORIGINS).
	WebhookOrigins *pushendpoint.Policy
	// Migrate is HERALD_MIGRATE: false leaves migrations to another process
	// (a Kubernetes init container, a deploy job) and waits for them.
	Migrate bool
}

// DevMode reports whether embedded storage is in use.
func (c Config) DevMode() bool { return c.DatabaseURL == "" }

// ReadConfig reads the shared settings; problems are recorded in r.
func ReadConfig(r *envconf.Reader) Config {
	c := Config{
		DatabaseURL:      r.String("HERALD_DATABASE_URL", ""),
		DatabasePoolSize: r.Int("HERALD_DATABASE_POOL_SIZE", database.DefaultPoolSize, 1, 10000),
		RedisURL:         r.String("HERALD_REDIS_URL", ""),
		MasterKey:        r.String("HERALD_MASTER_KEY", ""),
		DataDir:          r.String("HERALD_DATA_DIR", "data"),
		VAPIDSubject:     r.String("HERALD_VAPID_SUBJECT", ""),
		Migrate:          r.Bool("HERALD_MIGRATE", true),
	}
	switch {
	case c.RedisURL != "":
		if _, err := redisconn.ParseURL(c.RedisURL); err != nil {
			r.Fail("HERALD_REDIS_URL", "%v", err)
		}
	case !c.DevMode():
		// An in-process Redis is seen by this process alone: an API would
		// queue jobs no worker gets, and workers would share no queue.
		r.Fail("HERALD_REDIS_URL", "required with HERALD_DATABASE_URL: every Herald process must use the same Redis "+
			"(redis://host:6379/0, redis-sentinel://host:26379,host:26379/MASTER/0 or redis-cluster://host:6379,host:6379); "+
			"the in-process Redis is for dev mode only")
	}
	if c.MasterKey != "" {
		if _, err := masterkey.Parse(c.MasterKey); err != nil {
			r.Fail("HERALD_MASTER_KEY", "%v", err)
		}
	} else if !c.DevMode() {
		r.Fail("HERALD_MASTER_KEY", "required with HERALD_DATABASE_URL: it encrypts VAPID private keys at rest (make one with: openssl rand -base64 32)")
	}
	switch {
	case c.VAPIDSubject != "":
		if err := vapid.ValidateSubject(c.VAPIDSubject); err != nil {
			r.Fail("HERALD_VAPID_SUBJECT", "%v", err)
		}
	case c.DevMode():
		c.VAPIDSubject = DevVAPIDSubject
	default:
		r.Fail("HERALD_VAPID_SUBJECT", "required outside dev mode: a mailto: address or https: URL push services can contact, like mailto:ops@example.com")
	}
	policy, err := pushendpoint.NewPolicy(r.List("HERALD_PUSH_EXTRA_ORIGINS"))
	if err != nil {
		r.Fail("HERALD_PUSH_EXTRA_ORIGINS", "%v", err)
	}
	c.Endpoints = policy
	if c.WebhookOrigins, err = pushendpoint.NewPolicy(r.List("HERALD_WEBHOOK_EXTRA_ORIGINS")); err != nil {
		r.Fail("HERALD_WEBHOOK_EXTRA_ORIGINS", "%v", err)
	}
	return c
}

// Base is what every process stands on, opened: the database, Redis and the master key.
type Base struct {
	Config    Config
	DB        *database.DB
	Redis     *redisconn.Conn
	MasterKey masterkey.Key
}

// Open connects to (or starts) the database and Redis and loads the master key.
func Open(ctx context.Context, cfg Config, log *slog.Logger) (*Base, error) {
	p := &Base{Config: cfg}
	var err error
	if cfg.MasterKey != "" {
		p.MasterKey, err = masterkey.Parse(cfg.MasterKey)
	} else {
		path := filepath.Join(cfg.DataDir, "master.key")
		var created bool
		p.MasterKey, created, err = masterkey.LoadOrCreateFile(path)
		if created {
			log.Warn("DEV MODE: generated a master key; set HERALD_MASTER_KEY in production", "file", path)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	sqlitePath := filepath.Join(cfg.DataDir, "herald.db")
	dbCfg := database.Config{URL: cfg.DatabaseURL, SQLitePath: sqlitePath, MaxOpenConns: cfg.DatabasePoolSize}
	if p.DB, err = database.Open(ctx, dbCfg, log); err != nil {
		return nil, err
	}
	if cfg.VAPIDSubject == DevVAPIDSubject {
		log.Warn("DEV MODE: VAPID subject is a placeholder that Apple's push service (Safari) refuses; set HERALD_VAPID_SUBJECT to mailto:you@your-domain or an https: URL", "subject", DevVAPIDSubject)
	}
	if cfg.DatabaseURL == "" {
		log.Warn("DEV MODE: embedded SQLite database; set HERALD_DATABASE_URL=postgres://... in production", "file", sqlitePath)
	}
	if p.Redis, err = redisconn.Open(ctx, cfg.RedisURL, log); err != nil {
		p.DB.Close()
		return nil, err
	}
	if p.Redis.Embedded {
		log.Warn("DEV MODE: embedded in-process Redis; jobs live only in this process; set HERALD_REDIS_URL=redis://... in production")
	} else {
		log.Info("connected to Redis", "mode", p.Redis.Mode)
	}
	return p, nil
}

// PrepareSchema migrates the database, or with HERALD_MIGRATE=false waits
// for another process to; it refuses a schema newer than this binary knows.
func (p *Base) PrepareSchema(ctx context.Context, log *slog.Logger) error {
	return p.DB.PrepareSchema(ctx, p.Config.Migrate, log)
}

// Ready reports whether the database and Redis answer.
func (p *Base) Ready(ctx context.Context) error {
	var errs []error
	if err := p.DB.Ping(ctx); err != nil {
		errs = append(errs, fmt.Errorf("database: %w", err))
	}
	if err := p.Redis.Ping(ctx); err != nil {
		errs = append(errs, fmt.Errorf("redis: %w", err))
	}
	return errors.Join(errs...)
}

// Close releases everything Open made.
func (p *Base) Close() error {
	return errors.Join(p.Redis.Close(), p.DB.Close())
}
