"""Redis mode (`SSOT_REDIS_URL`): intake stores deliveries in Redis, workers run them;
the queue, the shared caches and the `ssot-bot worker` process."""
