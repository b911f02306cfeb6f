// The identifiers a kubelet puts in nodeInfo, read where cAdvisor reads them: the boot id
// (new on every boot, so a reboot is visible in the Node), the machine id, and the
// firmware's system UUID (readable by root only). Any that cannot be read is left empty,
// as the kubelet leaves it.
import { readFileSync } from 'node:fs';

export interface HostIdentity {
  machineID: string;
  systemUUID: string;
  bootID: string;
}

export const IDENTITY_FILES = {
  bootID: ['/proc/sys/kernel/random/boot_id'],
  machineID: ['/etc/machine-id', '/var/lib/dbus/machine-id'],
  systemUUID: ['/sys/class/dmi/id/product_uuid'],
};

function firstReadable(paths: string[], read: (p: string) => string): string {
  for (const p of paths) {
    try {
      const v = read(p).trim();
      if (v) return v;
    } catch {
      /* absent or not readable: try the next place */
    }
  }
  return '';
}

export function hostIdentity(read: (path: string) => string = (p) => readFileSync(p, 'utf8'), files = IDENTITY_FILES): HostIdentity {
  return {
    machineID: firstReadable(files.machineID, read),
    systemUUID: firstReadable(files.systemUUID, read),
    bootID: firstReadable(files.bootID, read),
  };
}
