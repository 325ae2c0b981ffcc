/**
 * Test-only node agent for the kill action, doing what capture's responder does: on `nodeAction(node, 'kill')` it
 * kills the pid only if that process's start time still matches the request's `startTs`. Start times come from
 * /proc/<pid>/stat (clock ticks since boot) turned into ns since the epoch, so they match to one tick.
 */
import { readFileSync } from 'node:fs';
import { nodeAction, type ControlBus } from '@peregrine/bus';
import { decodeKillRequest, encodeKillReply, KILL_ACTION } from '@peregrine/output';

const TICK_NS = 10_000_000n; // CLK_TCK = 100
const BOOT_OFFSET_NS = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

/** ns since the epoch at which `pid` started, or undefined when there is no such process. */
export function processStartNs(pid: number): bigint | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the ")" closing comm: state is field 3, starttime field 22.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return BigInt(fields[19]!) * TICK_NS + BOOT_OFFSET_NS;
}

export function serveKill(control: ControlBus, node: string): void {
  control.serve(nodeAction(node, KILL_ACTION), (data) => {
    const req = decodeKillRequest(data);
    if (!req) return encodeKillReply({ killed: false, reason: 'bad request' });
    const actual = processStartNs(req.pid);
    if (actual === undefined) return encodeKillReply({ killed: false, reason: 'no such process' });
    const diff = actual - BigInt(req.startTs);
    if (diff > TICK_NS || diff < -TICK_NS) return encodeKillReply({ killed: false, reason: 'start time mismatch' });
    process.kill(req.pid, req.signal as NodeJS.Signals);
    return encodeKillReply({ killed: true });
  });
}
