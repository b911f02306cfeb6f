import type { TestContext } from 'node:test';
import type { RealNode } from '../../helpers/real-node.js';

/** One subtest of the pod lifecycle e2e: a name and a body that creates its own pods on the shared node. */
export type Theme = [name: string, run: (t: TestContext, node: RealNode) => Promise<void>];
