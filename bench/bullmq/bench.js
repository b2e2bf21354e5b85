// A web-push + BullMQ pipeline built the way the common guides build it:
// one queue, jobs added with addBulk (one job per subscription), one worker
// with concurrency calling webpush.sendNotification per job.
//
// Herald's benchmark runs it against the same push service simulator and
// prints one JSON line with what it measured.
//
// Environment: BULLMQ_REDIS_URL (redis://host:port/db), BULLMQ_SUBS_FILE (a
// JSON array of PushSubscription objects), BULLMQ_CONCURRENCY (default 100),
// BULLMQ_PAYLOAD (the JSON payload to send).
'use strict';

const fs = require('fs');
const http = require('http');
const https = require('https');
const { Queue, Worker } = require('bullmq');
const webpush = require('web-push');

// web-push only speaks https; the simulator is plain http on loopback, as
// Herald reaches it. Route http: endpoints through the http module so both
// pipelines pay for the same transport. This is the only change to the
// guides' pipeline.
const httpsRequest = https.request;
https.request = function (options, callback) {
  if (String(options.port) !== '443' && process.env.BULLMQ_PLAIN_HTTP !== 'false') {
    return http.request({ ...options, agent: plainAgent }, callback);
  }
  return httpsRequest(options, callback);
};
const plainAgent = new http.Agent({ keepAlive: true, maxSockets: 256 });

function redisConnection(raw) {
  const u = new URL(raw);
  return { host: u.hostname, port: Number(u.port || 6379), db: Number(u.pathname.slice(1) || 0), maxRetriesPerRequest: null };
}

async function main() {
  const connection = redisConnection(process.env.BULLMQ_REDIS_URL || 'redis://127.0.0.1:6379/0');
  const subs = JSON.parse(fs.readFileSync(process.env.BULLMQ_SUBS_FILE, 'utf8'));
  const concurrency = Number(process.env.BULLMQ_CONCURRENCY || 100);
  const payload = process.env.BULLMQ_PAYLOAD || JSON.stringify({ title: 'Benchmark', body: 'hello' });

  const vapid = webpush.generateVAPIDKeys();
  webpush.setVapidDetails('mailto:bench@example.com', vapid.publicKey, vapid.privateKey);

  const queue = new Queue('push', {
    connection,
    defaultJobOptions: { attempts: 3, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: true, removeOnFail: 1000 },
  });
  await queue.obliterate({ force: true }).catch(() => {});

  let done = 0;
  let failed = 0;
  let finish;
  const finished = new Promise((resolve) => { finish = resolve; });
  const worker = new Worker('push', async (job) => {
    await webpush.sendNotification(job.data.subscription, job.data.payload, { TTL: 3600 });
  }, { connection, concurrency });
  worker.on('completed', () => { if (++done + failed >= subs.length) finish(); });
  worker.on('failed', (job) => {
    if (job && job.attemptsMade >= (job.opts.attempts || 1)) {
      failed++;
      if (done + failed >= subs.length) finish();
    }
  });
  await worker.waitUntilReady();

  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let i = 0; i < subs.length; i += 1000) {
    await queue.addBulk(subs.slice(i, i + 1000).map((s) => ({ name: 'push', data: { subscription: s, payload } })));
  }
  const enqueued = Number(process.hrtime.bigint() - start) / 1e9;
  await finished;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  await worker.close();
  await queue.close();
  process.stdout.write(JSON.stringify({
    n: subs.length, delivered: done, failed, concurrency,
    enqueue_seconds: enqueued, seconds, per_second: done / seconds,
    cpu_seconds: (cpu.user + cpu.system) / 1e6,
    peak_rss_bytes: process.resourceUsage().maxRSS * 1024,
  }) + '\n');
}

main().catch((err) => { console.error(err); process.exit(1); });
