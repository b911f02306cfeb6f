// The environment variables Services give containers, as Docker links did: for service
// `my-svc`, MY_SVC_SERVICE_HOST / _SERVICE_PORT / _SERVICE_PORT_<NAME>, and the
// MY_SVC_PORT_80_TCP… family.
import type { Service } from 'kubernetes-types/core/v1.js';

const envName = (s: string) => s.toUpperCase().replace(/-/g, '_');
const hostPort = (ip: string, port: number) => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);

export function hasClusterIP(svc: Service): boolean {
  const ip = svc.spec?.clusterIP;
  return !!ip && ip !== 'None';
}

/** Env vars for these services, in order; services without a cluster IP give none. */
export function serviceEnvVars(services: Service[]): { key: string; value: string }[] {
  const out: { key: string; value: string }[] = [];
  for (const svc of services) {
    if (!hasClusterIP(svc)) continue;
    const ip = svc.spec!.clusterIP!;
    const prefix = envName(svc.metadata?.name ?? '');
    const ports = svc.spec?.ports ?? [];
    out.push({ key: `${prefix}_SERVICE_HOST`, value: ip });
    if (ports.length) out.push({ key: `${prefix}_SERVICE_PORT`, value: String(ports[0]!.port) });
    for (const p of ports) if (p.name) out.push({ key: `${prefix}_SERVICE_PORT_${envName(p.name)}`, value: String(p.port) });
    ports.forEach((p, i) => {
      const proto = (p.protocol ?? 'TCP').toLowerCase();
      const url = `${proto}://${hostPort(ip, p.port)}`;
      if (i === 0) out.push({ key: `${prefix}_PORT`, value: url });
      const pp = `${prefix}_PORT_${p.port}_${proto.toUpperCase()}`;
      out.push({ key: pp, value: url }, { key: `${pp}_PROTO`, value: proto }, { key: `${pp}_PORT`, value: String(p.port) }, { key: `${pp}_ADDR`, value: ip });
    });
  }
  return out;
}
