// OCI image archives (an OCI image layout in a tar, plus a docker-style manifest.json so
// that both containerd's importer and docker-archive readers accept it). Layers are
// uncompressed tars; digests are sha256 of the exact bytes.
import { createHash } from 'node:crypto';
import { tar, type TarEntry } from './tar.js';

export interface ImageConfig {
  entrypoint?: string[];
  cmd?: string[];
  env?: string[];
  workingDir?: string;
  exposedPorts?: number[];
  user?: string;
}

export interface ImageSpec {
  /** Full reference, e.g. skiff.local/busybox:1.35 */
  name: string;
  layers: TarEntry[][];
  config: ImageConfig;
  architecture?: string;
}

interface Blob {
  digest: string;
  size: number;
  data: Buffer;
}

function blob(data: Buffer): Blob {
  return { digest: `sha256:${createHash('sha256').update(data).digest('hex')}`, size: data.length, data };
}

function goArch(): string {
  return process.arch === 'x64' ? 'amd64' : process.arch;
}

export interface ImageBlobs {
  config: Blob;
  manifest: Blob;
  layers: Blob[];
}

export type { Blob as ImageBlob };

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/** The content-addressed parts of one image: its layers, its config and the manifest naming them. */
export function buildImageBlobs(spec: ImageSpec): ImageBlobs {
  const layers = spec.layers.map((entries) => blob(tar(entries)));
  const config = blob(
    Buffer.from(
      JSON.stringify({
        architecture: spec.architecture ?? goArch(),
        os: 'linux',
        config: {
          Env: spec.config.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
          ...(spec.config.entrypoint ? { Entrypoint: spec.config.entrypoint } : {}),
          ...(spec.config.cmd ? { Cmd: spec.config.cmd } : {}),
          ...(spec.config.workingDir ? { WorkingDir: spec.config.workingDir } : {}),
          ...(spec.config.user ? { User: spec.config.user } : {}),
          ...(spec.config.exposedPorts?.length ? { ExposedPorts: Object.fromEntries(spec.config.exposedPorts.map((p) => [`${p}/tcp`, {}])) } : {}),
        },
        rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
        history: layers.map(() => ({ created_by: 'skiff image builder' })),
      }),
    ),
  );
  const manifest = blob(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config.digest, size: config.size },
        layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: l.digest, size: l.size })),
      }),
    ),
  );
  return { config, manifest, layers };
}

/** Builds the archive of one image. Returns its bytes and the manifest digest (the image id clients see). */
export function buildImageArchive(spec: ImageSpec): { archive: Buffer; manifestDigest: string; configDigest: string } {
  const { config, manifest, layers } = buildImageBlobs(spec);
  const tag = spec.name.includes(':') && !spec.name.endsWith(']') ? spec.name.slice(spec.name.lastIndexOf(':') + 1) : 'latest';
  const index = {
    schemaVersion: 2,
    manifests: [
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: manifest.digest,
        size: manifest.size,
        annotations: { 'io.containerd.image.name': spec.name, 'org.opencontainers.image.ref.name': tag },
      },
    ],
  };
  const hex = (b: Blob) => b.digest.slice('sha256:'.length);
  const docker = [{ Config: `blobs/sha256/${hex(config)}`, RepoTags: [spec.name], Layers: layers.map((l) => `blobs/sha256/${hex(l)}`) }];
  const entries: TarEntry[] = [
    { type: 'file', name: 'oci-layout', data: Buffer.from('{"imageLayoutVersion":"1.0.0"}') },
    { type: 'file', name: 'index.json', data: Buffer.from(JSON.stringify(index)) },
    { type: 'file', name: 'manifest.json', data: Buffer.from(JSON.stringify(docker)) },
    { type: 'dir', name: 'blobs' },
    { type: 'dir', name: 'blobs/sha256' },
  ];
  const seen = new Set<string>();
  for (const b of [config, manifest, ...layers]) {
    if (seen.has(b.digest)) continue;
    seen.add(b.digest);
    entries.push({ type: 'file', name: `blobs/sha256/${hex(b)}`, data: b.data });
  }
  return { archive: tar(entries), manifestDigest: manifest.digest, configDigest: config.digest };
}
