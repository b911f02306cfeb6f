// Exec probes and hooks: the command runs in the container through the runtime's ExecSync
// with the probe's timeout; exit code 0 is success.
import { RuntimeError, type RuntimeService } from '../runtime/types.js';
import type { ProbeOutcome } from './probe-result.js';

/** Output beyond this is cut, as the kubelet limits what it keeps of an exec probe. */
const MAX_OUTPUT = 10 * 1024;

export async function execProbe(
  runtime: Pick<RuntimeService, 'execSync'>,
  containerId: string,
  command: string[],
  timeoutSeconds: number,
): Promise<ProbeOutcome> {
  if (!command.length) return { result: 'Unknown', output: 'exec handler has no command' };
  try {
    const r = await runtime.execSync(containerId, command, timeoutSeconds);
    const output = Buffer.concat([r.stdout, r.stderr]).subarray(0, MAX_OUTPUT).toString('utf8');
    return { result: r.exitCode === 0 ? 'Success' : 'Failure', output };
  } catch (err) {
    if (err instanceof RuntimeError && err.code === 'DeadlineExceeded') {
      return { result: 'Failure', output: `command ${JSON.stringify(command.join(' '))} timed out` };
    }
    return { result: 'Unknown', output: (err as Error).message };
  }
}
