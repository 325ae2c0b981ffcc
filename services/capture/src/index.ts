import type { StageFactory } from '@peregrine/runtime';
import { createCaptureStage } from './stage.ts';

export { Capture, type CaptureOptions, type CaptureStats } from './capture.ts';
export { containerFromCgroupPath, containerFromProcCgroup, type ContainerRef } from './container-id.ts';
export { killIfStartMatches, missingPrivileges } from './driver.ts';
export { CaptureConfigError, DriverError, MissingPrivilegeError } from './errors.ts';
export { DEFAULT_RULE_EVENT_TYPES, STATE_EVENT_TYPES } from './syscalls.ts';
export { createCaptureStage, dropAlert, parseConfig, parseEventTypes, serveKill } from './stage.ts';

const factory: StageFactory = createCaptureStage;
export default factory;
