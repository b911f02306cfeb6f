// The CRI services as gRPC clients over a unix socket: loads the embedded runtime.v1
// proto once, and turns each unary call into a promise with a deadline. gRPC failures
// come back as RuntimeError carrying the status code, so callers branch on NotFound etc.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import { RuntimeError } from '../types.js';
import { CRI_PROTO } from './api-proto.js';

/** How messages look in JS: camelCase fields, int64 as decimal strings, enums by name, defaults filled. */
export const LOADER_OPTIONS: protoLoader.Options = { keepCase: false, longs: String, enums: String, defaults: true, arrays: true, objects: true };

let cached: grpc.GrpcObject | undefined;

/** The runtime.v1 package: service constructors (RuntimeService, ImageService) and message types. */
export function criPackage(): grpc.GrpcObject {
  if (!cached) {
    const root = protobuf.parse(CRI_PROTO, { keepCase: false }).root;
    const def = protoLoader.fromJSON(root.toJSON(), LOADER_OPTIONS);
    cached = (grpc.loadPackageDefinition(def).runtime as grpc.GrpcObject).v1 as grpc.GrpcObject;
  }
  return cached;
}

export function serviceDefinition(name: 'RuntimeService' | 'ImageService'): grpc.ServiceDefinition {
  return (criPackage()[name] as grpc.ServiceClientConstructor).service;
}

const CODES: Partial<Record<grpc.status, RuntimeError['code']>> = {
  [grpc.status.NOT_FOUND]: 'NotFound',
  [grpc.status.INVALID_ARGUMENT]: 'InvalidArgument',
  [grpc.status.FAILED_PRECONDITION]: 'FailedPrecondition',
  [grpc.status.UNAVAILABLE]: 'Unavailable',
  [grpc.status.UNIMPLEMENTED]: 'Unimplemented',
  [grpc.status.DEADLINE_EXCEEDED]: 'DeadlineExceeded',
};

export function toRuntimeError(method: string, err: grpc.ServiceError): RuntimeError {
  const code = CODES[err.code as grpc.status] ?? 'Unknown';
  return new RuntimeError(code, `CRI ${method}: ${err.details || err.message}`);
}

/** `unix:///run/x.sock`, `unix:/run/x.sock` or a bare path → the target grpc-js dials. */
export function grpcTarget(endpoint: string): string {
  if (endpoint.startsWith('unix://')) return `unix:${endpoint.slice('unix://'.length)}`;
  if (endpoint.startsWith('unix:')) return endpoint;
  if (endpoint.startsWith('/')) return `unix:${endpoint}`;
  throw new RuntimeError('InvalidArgument', `container runtime endpoint must be unix:///path/to.sock, got ${JSON.stringify(endpoint)}`);
}

type Unary = (req: unknown, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: unknown) => void) => void;

/** Both CRI services on one channel. */
export class CriConnection {
  private readonly runtime: grpc.Client;
  private readonly image: grpc.Client;

  constructor(readonly endpoint: string) {
    const pkg = criPackage();
    const target = grpcTarget(endpoint);
    // Messages such as ExecSync output can reach 16 MB each way (CRI caps it there).
    const options = { 'grpc.max_receive_message_length': 32 * 1024 * 1024, 'grpc.max_send_message_length': 32 * 1024 * 1024 };
    this.runtime = new (pkg.RuntimeService as grpc.ServiceClientConstructor)(target, grpc.credentials.createInsecure(), options);
    // The second client shares the first one's channel: one socket to the runtime.
    this.image = new (pkg.ImageService as grpc.ServiceClientConstructor)(target, grpc.credentials.createInsecure(), {
      ...options,
      channelOverride: this.runtime.getChannel(),
    });
  }

  call<T>(service: 'runtime' | 'image', method: string, req: object, timeoutMs = 120_000): Promise<T> {
    const client = service === 'runtime' ? this.runtime : this.image;
    const fn = (client as unknown as Record<string, Unary>)[method];
    if (typeof fn !== 'function') return Promise.reject(new RuntimeError('Unimplemented', `CRI ${method}: not in Skiff's runtime.v1 subset`));
    return new Promise<T>((resolve, reject) => {
      fn.call(client, req, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) => {
        if (err) reject(toRuntimeError(method, err));
        else resolve(res as T);
      });
    });
  }

  /** A RuntimeService call with a request already encoded and a response the caller decodes itself. */
  callRaw<T>(method: string, request: Buffer, decode: (bytes: Buffer) => T, timeoutMs = 120_000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.runtime.makeUnaryRequest(
        `/runtime.v1.RuntimeService/${method}`,
        (b: Buffer) => b,
        decode,
        request,
        new grpc.Metadata(),
        { deadline: Date.now() + timeoutMs },
        (err, res) => {
          if (err) reject(toRuntimeError(method, err));
          else resolve(res as T);
        },
      );
    });
  }

  close(): void {
    this.image.close();
    this.runtime.close();
  }
}
