package deploy

import "time"

// ShutdownOverhead is how much longer than HERALD_SHUTDOWN_TIMEOUT a Herald
// process may take to exit after SIGTERM: past the timeout the worker's two
// job servers (stopping together) hand back the batches still running, one
// Redis call each, and its health server drains for at most 2 s. Grace
// periods (compose stop_grace_period, Kubernetes
// terminationGracePeriodSeconds) must cover preStop + HERALD_SHUTDOWN_TIMEOUT
// + ShutdownOverhead: the deploy tests check every one, and Herald's SIGTERM
// test measures a worker whose job servers both hold batches past the
// timeout against it.
const ShutdownOverhead = 4 * time.Second
