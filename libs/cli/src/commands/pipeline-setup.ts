/** What `run` and `replay` both do to a loaded config before hosting stages. */
import { DEFAULT_NATS_URL, NatsBus, parseNatsConfig, parseStreamsConfig } from '@peregrine/bus';
import type { LoadedConfig } from '@peregrine/runtime';

/** `--rules FILE…` replaces the evaluation stage's `rules`. */
export function applyRulesOverride(cfg: LoadedConfig, rules: string[]): void {
  if (rules.length === 0) return;
  const all = (cfg.tree.stages ??= {}) as Record<string, Record<string, unknown>>;
  all.evaluation = { ...all.evaluation, rules };
}

/** NATS from the config's `nats` section; `--nats URL` wins, then the config, then NATS_URL, then the default. */
export function connectNats(cfg: LoadedConfig, url: string | undefined): Promise<NatsBus> {
  const natsTree = { ...(cfg.tree.nats as Record<string, unknown> | undefined) };
  if (url) natsTree.servers = url;
  else if (natsTree.servers === undefined && natsTree.url === undefined) natsTree.servers = process.env.NATS_URL ?? DEFAULT_NATS_URL;
  return NatsBus.connect(parseNatsConfig(natsTree), parseStreamsConfig(cfg.tree.streams), cfg.alertSubjectTemplate);
}
