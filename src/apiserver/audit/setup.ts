// The audit flags of kube-apiserver: a policy file and a log path turn auditing on; either
// alone does nothing, as in Kubernetes (without a policy no request is audited).
import { readFileSync } from 'node:fs';
import { AuditLog } from './log-backend.js';
import { parseAuditPolicy } from './policy.js';
import { Auditor } from './recorder.js';

export interface AuditFlags {
  auditPolicyFile?: string;
  auditLogPath?: string;
  auditLogMaxsize?: number;
  auditLogMaxbackup?: number;
  auditLogMaxage?: number;
}

export function auditorFromFlags(flags: AuditFlags, warn: (msg: string) => void): Auditor | undefined {
  if (!flags.auditPolicyFile || !flags.auditLogPath) {
    if (flags.auditPolicyFile || flags.auditLogPath) warn('auditing needs both --audit-policy-file and --audit-log-path; no request is audited');
    return undefined;
  }
  let text: string;
  try {
    text = readFileSync(flags.auditPolicyFile, 'utf8');
  } catch (err) {
    throw new Error(`cannot read --audit-policy-file ${flags.auditPolicyFile}: ${(err as Error).message}`);
  }
  const policy = parseAuditPolicy(text, flags.auditPolicyFile);
  const log = new AuditLog({
    path: flags.auditLogPath,
    maxSizeMB: flags.auditLogMaxsize,
    maxBackups: flags.auditLogMaxbackup,
    maxAgeDays: flags.auditLogMaxage,
  });
  return new Auditor(policy, log);
}
