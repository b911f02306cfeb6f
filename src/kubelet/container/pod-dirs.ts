// Where a pod's files live on the node, as the kubelet lays them out under its root:
//   <root>/pods/<uid>/volumes/<plugin>/<volume>   prepared volumes
//   <root>/pods/<uid>/etc-hosts                   the managed /etc/hosts
//   <root>/pods/<uid>/containers/<name>/<id>      termination-message files
import path from 'node:path';

export class PodDirs {
  /** `root` is the agent's own directory, e.g. DATA_DIR/agent. */
  constructor(readonly root: string) {}

  get podsDir(): string {
    return path.join(this.root, 'pods');
  }

  pod(uid: string): string {
    if (!uid || uid.includes('/') || uid === '.' || uid === '..') throw new Error(`invalid pod uid ${JSON.stringify(uid)}`);
    return path.join(this.podsDir, uid);
  }

  volumes(uid: string): string {
    return path.join(this.pod(uid), 'volumes');
  }

  /** Plugin names as the kubelet spells them on disk, e.g. kubernetes.io~empty-dir. */
  volume(uid: string, plugin: string, name: string): string {
    return path.join(this.volumes(uid), plugin.replace('/', '~'), name);
  }

  etcHosts(uid: string): string {
    return path.join(this.pod(uid), 'etc-hosts');
  }

  container(uid: string, name: string): string {
    return path.join(this.pod(uid), 'containers', name);
  }
}
