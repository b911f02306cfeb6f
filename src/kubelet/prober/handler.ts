// Runs one probe or lifecycle handler (exec, httpGet, tcpSocket) against a container: the
// shared part of probes and hooks (gRPC is for probes only) — port names resolved from the container's ports, the
// host defaulting to the pod IP.
import type { Container, ExecAction, HTTPGetAction, TCPSocketAction } from 'kubernetes-types/core/v1.js';
import type { RuntimeService } from '../runtime/types.js';
import { execProbe } from './exec-probe.js';
import { grpcProbe } from './grpc-probe.js';
import { httpProbe } from './http-probe.js';
import type { ProbeOutcome } from './probe-result.js';
import { tcpProbe } from './tcp-probe.js';

export interface Handler {
  exec?: ExecAction;
  httpGet?: HTTPGetAction;
  tcpSocket?: TCPSocketAction;
  grpc?: { port: number; service?: string };
}

export interface HandlerTarget {
  runtime: Pick<RuntimeService, 'execSync'>;
  containerId: string;
  container: Container;
  podIP: string;
}

/** A port by number, numeric string or the name of one of the container's ports. */
export function resolvePort(port: number | string | undefined, container: Container): number {
  if (typeof port === 'number') {
    if (Number.isInteger(port) && port > 0 && port < 65536) return port;
    throw new Error(`invalid port number: ${port}`);
  }
  if (typeof port === 'string' && port !== '') {
    if (/^\d+$/.test(port)) return resolvePort(Number(port), container);
    const named = container.ports?.find((p) => p.name === port);
    if (named) return named.containerPort;
    throw new Error(`couldn't find port: ${port} in container ${container.name}`);
  }
  throw new Error(`no port given in container ${container.name}'s handler`);
}

export async function runHandler(h: Handler, t: HandlerTarget, timeoutSeconds: number): Promise<ProbeOutcome> {
  const timeoutMs = Math.max(1, timeoutSeconds) * 1000;
  try {
    if (h.exec) return await execProbe(t.runtime, t.containerId, h.exec.command ?? [], Math.max(1, timeoutSeconds));
    if (h.httpGet) {
      const g = h.httpGet;
      const host = g.host || t.podIP;
      if (!host) return { result: 'Unknown', output: 'the pod has no IP yet' };
      return await httpProbe({
        scheme: g.scheme === 'HTTPS' ? 'HTTPS' : 'HTTP',
        host,
        port: resolvePort(g.port, t.container),
        path: g.path || '/',
        headers: g.httpHeaders,
        timeoutMs,
      });
    }
    if (h.tcpSocket) {
      const host = h.tcpSocket.host || t.podIP;
      if (!host) return { result: 'Unknown', output: 'the pod has no IP yet' };
      return await tcpProbe(host, resolvePort(h.tcpSocket.port, t.container), timeoutMs);
    }
    if (h.grpc) {
      if (!t.podIP) return { result: 'Unknown', output: 'the pod has no IP yet' };
      return await grpcProbe(t.podIP, resolvePort(h.grpc.port, t.container), h.grpc.service ?? '', timeoutMs);
    }
  } catch (err) {
    return { result: 'Unknown', output: (err as Error).message };
  }
  return { result: 'Unknown', output: 'the handler names no action (exec, httpGet, tcpSocket)' };
}
