// The clients of the components a `skiff server` runs in its own process. Each authenticates
// as the identity it would have outside (the scheduler as system:kube-scheduler, each
// controller as its service account, each node agent as system:node:<name>, the proxy as
// system:kube-proxy, DNS, ingress and metrics as service accounts in kube-system), so RBAC,
// the Node authorizer and NodeRestriction hold them to their roles exactly as over HTTPS.
// Only the server's own set-up writes act as the server (system:masters).
import type { ApiServer } from '../apiserver/apiserver.js';
import { nodeUser } from '../apiserver/auth/node-user.js';
import { serviceAccountUser } from '../apiserver/auth/service-account-user.js';
import type { UserInfo } from '../apiserver/types.js';
import { Client } from '../client/client.js';
import { CONTROLLER_SERVICE_ACCOUNTS } from '../controllers/manager.js';

const VERSION = 'v1.32.0-skiff';

const systemUser = (username: string): UserInfo => ({ username, groups: ['system:authenticated'] });

export interface ComponentClients {
  /** The server's own set-up writes (the IngressClass, the kube-dns Service). */
  readonly server: Client;
  /** The controller manager's shared informers and events: system:kube-controller-manager. */
  readonly controllerManager: Client;
  /** The client a controller writes with: its service account, or the manager's for those kube-controller-manager runs with its own credentials. */
  controller(name: string): Client;
  readonly scheduler: Client;
  /** A node agent's: system:node:<name> in system:nodes. */
  node(nodeName: string): Client;
  readonly proxy: Client;
  readonly dns: Client;
  readonly ingress: Client;
  readonly metrics: Client;
}

export function componentClients(api: Pick<ApiServer, 'transport'>): ComponentClients {
  // Named as its User-Agent would name it (managedFields show it).
  const component = (name: string, user?: UserInfo) => new Client(api.transport(user, `${name}/${VERSION}`));
  const cached = (make: (key: string) => Client) => {
    const clients = new Map<string, Client>();
    return (key: string) => {
      let c = clients.get(key);
      if (!c) clients.set(key, (c = make(key)));
      return c;
    };
  };
  const controllerManager = component('kube-controller-manager', systemUser('system:kube-controller-manager'));
  const serviceAccount = cached((sa) => component('kube-controller-manager', serviceAccountUser('kube-system', sa)));
  return {
    server: component('skiff'),
    controllerManager,
    controller: (name) => {
      const sa = CONTROLLER_SERVICE_ACCOUNTS[name];
      return sa ? serviceAccount(sa) : controllerManager;
    },
    scheduler: component('kube-scheduler', systemUser('system:kube-scheduler')),
    node: cached((nodeName) => component('kubelet', nodeUser(nodeName))),
    proxy: component('kube-proxy', systemUser('system:kube-proxy')),
    dns: component('coredns', serviceAccountUser('kube-system', 'coredns')),
    ingress: component('skiff-ingress', serviceAccountUser('kube-system', 'skiff-ingress')),
    metrics: component('metrics-server', serviceAccountUser('kube-system', 'metrics-server')),
  };
}
