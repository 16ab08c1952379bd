/** Routes and per-app settings shared by the renderVcl tests and golden files. */
import type { Route } from '../model.ts';
import type { AppIngress, AppProbe } from './vcl.ts';

export const r = (app: string, node: string, address: string, port: number): Route => ({ app, node, address, port });

export const ONE_APP = [r('simplewebapp1', 'node1', '10.210.0.11', 5050), r('simplewebapp1', 'node2', '10.210.0.12', 5050)];
export const TWO_APPS = [
  r('simplewebapp2', 'node2', '10.210.0.12', 5051),
  r('simplewebapp1', 'node2', '10.210.0.12', 5050),
  r('simplewebapp1', 'node1', '10.210.0.11', 5050),
  r('simplewebapp2', 'node3', '10.210.0.13', 5051),
];
export const HEALTH: AppProbe = { path: '/healthz', intervalS: 5, timeoutS: 2.5, window: 5, threshold: 3 };
export const PROBES: Record<string, AppIngress> = {
  simplewebapp2: { probe: { path: "/status/ready;v=1,a=b&c@d:e%20f~(g)*'h'+!$-._", intervalS: 0.05, timeoutS: 0.01, window: 64, threshold: 64 } },
  simplewebapp1: { probe: HEALTH },
};
export const HOSTS: Record<string, AppIngress> = {
  simplewebapp2: { hosts: ['www.example.com', 'app2.example.org'] },
  simplewebapp1: { hosts: ['simplewebapp1.matrix'] }, // the same as its domain name: said once
};
