// What watches the host under a node agent whose runtime runs real containers: the
// pressure conditions (memory, disk, PIDs; observed every 10 s as the kubelet's eviction
// manager does) and image garbage collection (every 5 min). The agent reads the pressure
// through NodeDescription.pressure and posts changed conditions with its next heartbeat.
import { statfsSync } from 'node:fs';
import { IMAGE_REGISTRY } from '../../images/busybox.js';
import type { Client } from '../../client/client.js';
import type { Logger } from '../../util/log.js';
import { ClientEventRecorder } from '../../client/event-recorder.js';
import { hostIdentity, type HostIdentity } from './host-identity.js';
import { ImageGarbageCollector, type ImageGcRuntime } from './image-gc.js';
import { PressureMonitor, readHost, type EvictionThresholds, type HostReadings, type NodePressure } from './pressure.js';
import { PAUSE_IMAGE } from '../runtime/containerd-config.js';
import type { ContainerRuntime, Image } from '../runtime/types.js';

export interface HostMonitorsOptions {
  runtime: ContainerRuntime;
  /** DATA_DIR/agent: its filesystem is the node filesystem. */
  agentDir: string;
  log: Logger;
  thresholds?: EvictionThresholds;
  pressurePeriodMs?: number;
  imageGcPeriodMs?: number;
  /** With both, events are recorded on the Node as the kubelet records them (NodeHasDiskPressure, FreeDiskSpaceFailed…). */
  client?: Client;
  nodeName?: string;
  /** Instead of recording through the client (tests). */
  event?: EventFn;
  /** Instead of reading this host (tests). */
  read?: () => HostReadings;
}

type EventFn = (type: 'Normal' | 'Warning', reason: string, message: string) => void;

/** The kubelet's node event reasons for each pressure, as [pressure now, relieved]. */
const PRESSURE_EVENTS: Record<keyof NodePressure, [string, string]> = {
  memory: ['NodeHasInsufficientMemory', 'NodeHasSufficientMemory'],
  disk: ['NodeHasDiskPressure', 'NodeHasNoDiskPressure'],
  pid: ['NodeHasInsufficientPID', 'NodeHasSufficientPID'],
};

function nodeEvents(o: HostMonitorsOptions): EventFn | undefined {
  if (o.event) return o.event;
  if (!o.client || !o.nodeName) return undefined;
  const recorder = new ClientEventRecorder(o.client, 'kubelet', o.log.child('events'), o.nodeName);
  // Keyed to the node's name, as the kubelet's node reference is.
  const ref = { apiVersion: 'v1', kind: 'Node', metadata: { name: o.nodeName, uid: o.nodeName } };
  return (type, reason, message) => recorder.event(ref, type, reason, message);
}

export interface HostMonitors {
  /** Fields to spread into the NodeDescription: the pressure getter and the host's ids. */
  describe: { pressure: () => NodePressure } & HostIdentity;
  imageGc?: ImageGarbageCollector;
  stop(): void;
}

/**
 * Never collected: the pause image, and the images Skiff builds and imports itself
 * (skiff.local/…), which no registry can give back once removed.
 */
export function keepImage(img: Image): boolean {
  return img.repoTags.some((t) => t === PAUSE_IMAGE || t.startsWith(`${IMAGE_REGISTRY}/`));
}

function hasImageFs(rt: ContainerRuntime): rt is ContainerRuntime & ImageGcRuntime {
  return typeof (rt as Partial<ImageGcRuntime>).imageFsInfo === 'function';
}

export function startHostMonitors(o: HostMonitorsOptions): HostMonitors {
  const log = o.log;
  // The image filesystem is what the runtime says; until it has said, the node's own.
  let imagefsPath = o.agentDir;
  const event = nodeEvents(o);
  let last: NodePressure = { memory: false, disk: false, pid: false };
  const pressure = new PressureMonitor({
    read: o.read ?? (() => readHost(o.agentDir, imagefsPath)),
    thresholds: o.thresholds,
    onChange: (p, signals) => {
      log.warn('node pressure changed', { memoryPressure: p.memory, diskPressure: p.disk, pidPressure: p.pid, signals });
      for (const k of ['memory', 'disk', 'pid'] as const) {
        if (p[k] !== last[k]) event?.('Normal', PRESSURE_EVENTS[k][p[k] ? 0 : 1], `Node ${o.nodeName} status is now: ${PRESSURE_EVENTS[k][p[k] ? 0 : 1]}`);
      }
      last = p;
    },
  });
  let imageGc: ImageGarbageCollector | undefined;
  const rt = o.runtime;
  if (hasImageFs(rt)) {
    void rt.imageFsInfo().then(
      (fs) => {
        if (fs[0]?.mountpoint) imagefsPath = fs[0].mountpoint;
      },
      (err: Error) => log.warn('image filesystem unknown; disk pressure watches the data dir only', { error: err.message }),
    );
    imageGc = new ImageGarbageCollector({
      runtime: rt,
      statfs: (path) => {
        const s = statfsSync(path);
        return { capacityBytes: s.blocks * s.bsize, availableBytes: s.bavail * s.bsize };
      },
      keep: keepImage,
      event,
      log,
    });
    imageGc.start(o.imageGcPeriodMs);
  }
  pressure.start(o.pressurePeriodMs);
  return {
    describe: { pressure: () => pressure.current(), ...hostIdentity() },
    imageGc,
    stop() {
      pressure.stop();
      imageGc?.stop();
    },
  };
}
