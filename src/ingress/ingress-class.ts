// The IngressClass `skiff` (the default class) and which Ingresses it covers: those naming it,
// and those naming no class at all (kubernetes.io/ingress.class, the deprecated annotation,
// counts as naming one).
import type { Ingress, IngressClass } from 'kubernetes-types/networking/v1.js';
import type { Client } from '../client/client.js';
import type { ResourceType } from '../client/resources.js';
import { isAlreadyExists } from '../client/transport.js';
import { DEFAULT_INGRESS_CLASS_ANNOTATION } from '../api/networking/ingressclass.js';

export const INGRESS_CLASS_NAME = 'skiff';
export const INGRESS_CONTROLLER = 'skiff.io/ingress';
const LEGACY_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';

const ingressClasses: ResourceType<IngressClass> = Object.freeze({
  group: 'networking.k8s.io',
  version: 'v1',
  resource: 'ingressclasses',
  kind: 'IngressClass',
  namespaced: false,
});

export function servedByUs(ing: Ingress): boolean {
  const cls = ing.spec?.ingressClassName ?? ing.metadata?.annotations?.[LEGACY_CLASS_ANNOTATION];
  return cls === undefined || cls === '' || cls === INGRESS_CLASS_NAME;
}

/** Creates the IngressClass at server start; one a user changed or deleted-and-recreated is left as it is. */
export async function ensureIngressClass(client: Client): Promise<void> {
  const body: IngressClass = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: {
      name: INGRESS_CLASS_NAME,
      annotations: { [DEFAULT_INGRESS_CLASS_ANNOTATION]: 'true' },
      labels: { 'app.kubernetes.io/managed-by': 'skiff' },
    },
    spec: { controller: INGRESS_CONTROLLER },
  };
  try {
    await client.resource(ingressClasses).create(body);
  } catch (err) {
    if (!isAlreadyExists(err)) throw new Error(`cannot create IngressClass ${INGRESS_CLASS_NAME}: ${(err as Error).message}`);
  }
}
