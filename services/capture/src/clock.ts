/**
 * Kernel timestamps are CLOCK_BOOTTIME ns; events carry ns since the epoch. The offset is measured once: Node's
 * hrtime is CLOCK_MONOTONIC, which equals BOOTTIME on a host that has not been suspended since boot — the case for
 * servers and VMs; a suspended laptop would see times shifted by the suspend duration.
 */
const offset = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

export function bootToEpochNs(bootNs: bigint): bigint {
  return bootNs + offset;
}

export function epochToBootNs(epochNs: bigint): bigint {
  return epochNs - offset;
}
