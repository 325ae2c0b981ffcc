import type { StageFactory } from '@peregrine/runtime';
import { EvaluationStage } from './stage.ts';

export { EvaluationStage, eventTypesMessage, type EventTypesMessage } from './stage.ts';
export { parseEvaluationConfig, defaultRulesFiles, DEFAULT_RULES_DIR, DEFAULT_APPEND_OUTPUT, type EvaluationConfig } from './config.ts';

const factory: StageFactory = () => new EvaluationStage();
export default factory;
