/** Builds the configured metadata sources and starts them feeding one sink. */
import type { EnrichmentConfig } from '../config.ts';
import type { MetadataSink, MetadataSource } from '../metadata.ts';
import { CentralPublisher, CentralSource } from './central-nats.ts';
import { CriSource } from './cri/cri-source.ts';
import { KubeSource, type SourceHooks } from './kube/kube-source.ts';

export interface StartedSources {
  sources: MetadataSource[];
  stop(): Promise<void>;
}

export async function createSources(
  config: EnrichmentConfig,
  node: string,
  sink: MetadataSink,
  opts: SourceHooks & { explicit?: MetadataSource[] },
): Promise<StartedSources> {
  const sources = opts.explicit ?? config.sources.map((name): MetadataSource => {
    switch (name) {
      case 'kube':
        return new KubeSource(config.kube, node, opts);
      case 'cri':
        return new CriSource(config.cri, opts);
      case 'central':
        return new CentralSource(config.central, node, opts);
    }
  });
  const publisher = config.central.publish ? new CentralPublisher(config.kube, config.central, opts) : undefined;
  await publisher?.start();
  for (const s of sources) await s.start(sink);
  return {
    sources,
    stop: async () => {
      await Promise.all(sources.map((s) => s.stop()));
      await publisher?.stop();
    },
  };
}
