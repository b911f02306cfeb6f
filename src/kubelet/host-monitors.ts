// What watches the host under a node agent whose runtime runs real containers: the
// pressure conditions (memory, disk, PIDs; observed every 10 s as the kubelet's eviction
// manager does) and image garbage collection (every 5 min). The agent reads the pressure
// through NodeDescription.pressure and posts changed conditions with its next heartbeat.
import { statfsSync } from 'node:fs';
import { IMAGE_REGISTRY } from '../images/busybox.js';
import type { Logger } from '../cli/log.js';
import { hostIdentity, type HostIdentity } from './host-identity.js';
import { ImageGarbageCollector, type ImageGcRuntime } from './image-gc.js';
import { PressureMonitor, readHost, type EvictionThresholds, type NodePressure } from './node-pressure.js';
import { PAUSE_IMAGE } from './runtime/containerd-config.js';
import type { ContainerRuntime, Image } from './runtime/types.js';

export interface HostMonitorsOptions {
  runtime: ContainerRuntime;
  /** DATA_DIR/agent: its filesystem is the node filesystem. */
  agentDir: string;
  log: Logger;
  thresholds?: EvictionThresholds;
  pressurePeriodMs?: number;
  imageGcPeriodMs?: number;
  /** Node events (FreeDiskSpaceFailed, ImageGCFailed), when the caller records them. */
  event?(type: 'Normal' | 'Warning', reason: string, message: string): void;
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
  const pressure = new PressureMonitor({
    read: () => readHost(o.agentDir, imagefsPath),
    thresholds: o.thresholds,
    onChange: (p, signals) => log.warn('node pressure changed', { memoryPressure: p.memory, diskPressure: p.disk, pidPressure: p.pid, signals }),
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
      event: o.event,
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
