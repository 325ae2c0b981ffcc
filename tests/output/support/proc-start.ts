/**
 * A live process's start time as `proc.pid.ts` carries it (ns since the epoch), read from /proc/<pid>/stat. /proc
 * counts clock ticks since boot, so the value is placed mid-tick: the kernel's own ns start time lies inside that
 * tick, and a start-time check that converts back to ticks lands on the right one.
 */
import { readFileSync } from 'node:fs';

const TICK_NS = 10_000_000n; // CLK_TCK = 100
const BOOT_OFFSET_NS = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

export function processStartNs(pid: number): bigint {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the ")" closing comm: state is field 3, starttime field 22.
  const ticks = BigInt(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!);
  return ticks * TICK_NS + TICK_NS / 2n + BOOT_OFFSET_NS;
}
