/** The output stage (alert subjects, destinations, flood control, responses). Its default export is the factory. */
import type { StageFactory } from '@peregrine/runtime';
import { createOutputStage } from './stage.ts';

const factory: StageFactory = createOutputStage;
export default factory;

export { createOutputStage, STAGE_NAME } from './stage.ts';
export { parseOutputConfig, DESTINATION_TYPES } from './config.ts';
export type { OutputConfig, DestinationSpec, DestinationType, DedupConfig, RateLimitConfig, ResponsesConfig } from './config.ts';
export { COUNT_FIELD, textLine } from './alert-format.ts';
export { SUPPRESSED_FIELD } from './flood.ts';
export { ALERTS_TOTAL } from './destinations/metrics.ts';
export { formatRfc5424 } from './destinations/syslog.ts';
export { loadResponseRules, parseResponseRules, ACTIONNERS } from './responses/rules.ts';
export type { ResponseRule, ActionSpec, Actionner } from './responses/rules.ts';
export type { ActionRecord, ActionStatus } from './responses/engine.ts';
export { decodeKillRequest, encodeKillReply, KILL_ACTION } from './responses/kill.ts';
export type { KillRequest, KillReply } from './responses/kill.ts';
export { ISOLATION_LABEL } from './responses/kube.ts';
export { OutputConfigError, DeliveryError, ResponseRulesError, ActionError, SpoolCorruptError } from './errors.ts';
