/**
 * The kill request sent to a node's capture agent on `nodeAction(node, 'kill')`. The agent kills `pid` only if the
 * process there still has start time `startTs` (`proc.pid.ts`: ns since the epoch), so a pid reused by another
 * process is never hit. JSON both ways; the reply says what happened.
 */
export interface KillRequest {
  pid: number;
  /** Decimal ns since the epoch, as the alert's `proc.pid.ts` field carries it. */
  startTs: string;
  signal: string;
  /** The alert that caused it, for the agent's log. */
  alert: string;
  rule: string;
}

export interface KillReply {
  killed: boolean;
  /** Why not, when not killed: e.g. "start time mismatch", "no such process". */
  reason?: string;
}

export const KILL_ACTION = 'kill';

export function encodeKillRequest(req: KillRequest): Uint8Array {
  return Buffer.from(JSON.stringify(req));
}

export function decodeKillRequest(data: Uint8Array): KillRequest | undefined {
  try {
    const r = JSON.parse(Buffer.from(data).toString('utf8')) as Partial<KillRequest>;
    if (typeof r.pid !== 'number' || !Number.isInteger(r.pid) || r.pid <= 0 || typeof r.startTs !== 'string' || !/^\d+$/.test(r.startTs)) return undefined;
    return { pid: r.pid, startTs: r.startTs, signal: typeof r.signal === 'string' ? r.signal : 'SIGKILL', alert: String(r.alert ?? ''), rule: String(r.rule ?? '') };
  } catch {
    return undefined;
  }
}

export function encodeKillReply(reply: KillReply): Uint8Array {
  return Buffer.from(JSON.stringify(reply));
}

export function decodeKillReply(data: Uint8Array): KillReply {
  try {
    const r = JSON.parse(Buffer.from(data).toString('utf8')) as Partial<KillReply>;
    return { killed: r.killed === true, reason: typeof r.reason === 'string' ? r.reason : undefined };
  } catch {
    return { killed: false, reason: 'unreadable reply from the node agent' };
  }
}
