// A control plane and one node agent with its HTTPS server, composed in the test process the
// way `skiff server` composes them (apiserver with its kubelet-client certificate, agent
// server with a CA-signed serving certificate, the node reporting the server's real port),
// for driving logs/exec/attach/port-forward with the real kubectl. Pods are bound by name
// (no scheduler): tests set spec.nodeName.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtinRegistry } from '../../src/api/builtin.js';
import { ApiServer } from '../../src/apiserver/apiserver.js';
import { ensurePki, writeKubeconfig, type Pki } from '../../src/util/pki.js';
import type { Logger } from '../../src/util/log.js';
import { Client } from '../../src/client/client.js';
import { SharedInformerFactory } from '../../src/client/informer-factory.js';
import { resources } from '../../src/client/resources.js';
import { NodeAgent } from '../../src/kubelet/agent.js';
import { hostDescription } from '../../src/kubelet/in-process.js';
import { agentRouters } from '../../src/kubelet/node/pods-index.js';
import type { ContainerRuntime } from '../../src/kubelet/runtime/types.js';
import { startAgentServer, type AgentServer } from '../../src/kubelet/server/agent-server.js';
import { MemoryStore } from '../../src/storage/memory.js';
import { kubectlAt, type KubectlResult } from './server.js';

const quiet: Logger = { info() {}, warn() {}, error() {}, child: () => quiet } as Logger;

export interface StreamingCluster {
  nodeName: string;
  pki: Pki;
  apiPort: number;
  agent: AgentServer;
  kubeconfig: string;
  kubectl(args: string[], opts?: { input?: string; timeoutMs?: number }): Promise<KubectlResult>;
  close(): Promise<void>;
}

export async function startStreamingCluster(runtime: ContainerRuntime, nodeName = 'stream-node'): Promise<StreamingCluster> {
  const dataDir = mkdtempSync(join(tmpdir(), 'skiff-streams-'));
  const pki = await ensurePki(dataDir);
  const api = new ApiServer({
    store: new MemoryStore(),
    registry: builtinRegistry(),
    tls: { key: pki.serverKey, cert: pki.serverCert, ca: pki.caCert },
    bindAddress: '127.0.0.1',
    port: 0,
    kubeletClient: { cert: pki.kubeletClientCert, key: pki.kubeletClientKey },
  });
  const apiPort = await api.start();
  const kubeconfig = join(dataDir, 'kubeconfig.yaml');
  await writeKubeconfig(kubeconfig, { server: `https://127.0.0.1:${apiPort}`, caCert: pki.caCert, clientCert: pki.adminCert, clientKey: pki.adminKey });

  const client = new Client(api.transport(undefined, 'kubelet/v1.32.0-skiff'));
  const informers = new SharedInformerFactory(client);
  const podInformer = informers.informerFor(resources.pods);
  const nodeInformer = informers.informerFor(resources.nodes);
  informers.start();
  await informers.waitForSync();
  const routers = agentRouters(podInformer, nodeInformer);
  const agent = await startAgentServer({
    runtime,
    tls: await pki.issueServingCert(nodeName, { hostnames: [nodeName], ips: ['127.0.0.1'] }),
    clientCA: pki.caCert,
    port: 0,
    host: '127.0.0.1',
    log: quiet,
    pods: () => routers.podsOnNode(nodeName),
  });
  const node = new NodeAgent({
    client,
    runtime,
    node: { ...hostDescription(nodeName, '127.0.0.1'), kubeletPort: agent.port, containerRuntimeVersion: runtime.runtimeVersionString },
    ...routers,
    log: quiet,
    recordEvents: false,
  });
  await node.start();
  // No node-ipam controller runs here: the pod CIDR a real cluster would assign.
  await client.nodes.patch(nodeName, { spec: { podCIDR: '10.42.0.0/24', podCIDRs: ['10.42.0.0/24'] } }, 'merge');
  return {
    nodeName,
    pki,
    apiPort,
    agent,
    kubeconfig,
    kubectl: kubectlAt(kubeconfig, join(dataDir, 'kubectl-home')),
    async close() {
      node.stop();
      informers.stop();
      await agent.close();
      await api.stop();
      await runtime.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
