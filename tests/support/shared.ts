/**
 * The project's shared test material lives beside the checkout (`../shared/`, in CI too). Every test and benchmark
 * finds it through these paths, so moving it is a one-line change.
 */
import { join, resolve } from 'node:path';

export const SHARED_DIR = resolve(import.meta.dirname, '..', '..', '..', 'shared');
export const SCAP_DIR = join(SHARED_DIR, 'scap');
export const FALCO_RULES_DIR = join(SHARED_DIR, 'falco-rules');
export const UPSTREAM_STABLE_RULES = join(FALCO_RULES_DIR, 'falco_rules.yaml');
export const UPSTREAM_INCUBATING_RULES = join(FALCO_RULES_DIR, 'falco-incubating_rules.yaml');
