/** Capture's failures, each with the fields an operator needs. */

/** The process lacks what loading eBPF needs: root, or CAP_BPF + CAP_PERFMON. */
export class MissingPrivilegeError extends Error {
  override name = 'MissingPrivilegeError';
  constructor(readonly missing: readonly string[]) {
    super(`capture needs root or CAP_BPF + CAP_PERFMON to load eBPF; missing: ${missing.join(', ')}`);
  }
}

export type DriverStep = 'addon' | 'open' | 'configure' | 'load' | 'attach' | 'select' | 'drain';

/** One step of bringing up the kernel side failed. */
export class DriverError extends Error {
  override name = 'DriverError';
  constructor(readonly step: DriverStep, readonly errno: number, message: string, options?: { cause?: unknown }) {
    super(`capture driver, step ${step}: ${message}`, options);
  }
}

/** A capture config value is out of range. */
export class CaptureConfigError extends Error {
  override name = 'CaptureConfigError';
  constructor(readonly field: string, message: string) {
    super(`capture config ${field}: ${message}`);
  }
}
