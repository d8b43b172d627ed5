/**
 * Version 6: traffic samples, so that the console shows the service's traffic: every process
 * writes what it counted in each interval (counts per operation and outcome, latency histogram
 * buckets, refusals, alarms as JSON; never values, callers or ids of requests), and the admin API
 * sums them per time bucket. Old samples are deleted as new ones are written. Portable SQL.
 */
import type { Migration } from './index.js';

export const migration: Migration = {
  version: 6,
  name: 'traffic',
  statements: [
    `CREATE TABLE traffic_samples (
       process_id VARCHAR(300) NOT NULL,
       sample_time BIGINT NOT NULL,
       counts TEXT NOT NULL
     )`,
    `CREATE INDEX traffic_samples_time ON traffic_samples (sample_time)`,
  ],
};
