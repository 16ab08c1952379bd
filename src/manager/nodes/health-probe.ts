/**
 * The manager's own health check of a replica: an HTTP GET from the manager host to the
 * replica's published port. (Probing from inside a container would need tools the image
 * may not have; busybox wget even segfaults there.) Any 2xx/3xx answer passes.
 */
import http from 'node:http';
import type { HealthCheck } from '../../core/model.ts';

export type HealthProbe = (address: string, port: number, check: HealthCheck) => Promise<boolean>;

export const httpProbe: HealthProbe = (address, port, check) =>
  new Promise((resolve) => {
    const req = http.get(
      { host: address, port, path: check.path, timeout: check.timeoutS * 1000, agent: false, headers: { 'user-agent': 'cloudmatrix-health' } },
      (res) => {
        res.resume();
        resolve((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 400);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(false));
  });
