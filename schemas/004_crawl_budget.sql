-- Crawler: every API request a provider was sent, so request budgets (e.g. Pexels 200/hour) hold across
-- runs and processes; and an index for resuming a job's pending items in rank order.
CREATE TABLE crawl_requests (
  id INTEGER PRIMARY KEY,
  provider TEXT NOT NULL,
  job_id INTEGER REFERENCES crawl_jobs (id),
  requested_at REAL NOT NULL
);
CREATE INDEX crawl_requests_provider ON crawl_requests (provider, requested_at);
CREATE INDEX crawl_items_job_state ON crawl_items (job_id, state, rank);
