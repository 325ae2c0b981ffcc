/**
 * @peregrine/enrichment: fills container and Kubernetes metadata into every batch (events.raw.<node> →
 * events.enriched.<node>). The default export is the stage factory the runtime host loads.
 */
import type { StageFactory } from '@peregrine/runtime';
import { EnrichmentStage } from './stage.ts';

export { EnrichmentStage, type EnrichmentStageOptions } from './stage.ts';
export { parseConfig, SOURCE_NAMES, type EnrichmentConfig, type SourceName, type KubeSettings, type CriSettings, type CentralSettings } from './config.ts';
export { MetadataCache, type CacheEntry, type CacheOptions } from './cache.ts';
export { mergeMeta, type ContainerMeta, type MetadataSink, type MetadataSource } from './metadata.ts';
export { parseImageRef, digestOf, type ImageRef } from './image.ts';
export { parseContainerId, type ContainerRef } from './container-id.ts';
export { KubeSource, kubeConfigOf, KUBE_SOURCE } from './sources/kube/kube-source.ts';
export { KubeWatcher, type KubeWatcherOptions } from './sources/kube/kube-watcher.ts';
export { Reflector, backoffDelay, type Backoff, type ReflectorOptions } from './sources/kube/reflector.ts';
export { containersOfPod, k8sInfoOf, workloadOf } from './sources/kube/pod-model.ts';
export { CriClient, CriSource, CRI_SOURCE } from './sources/cri/cri-source.ts';
export { metaFromCri, k8sFromSandbox, privilegedFromInfo } from './sources/cri/cri-model.ts';
export { CentralPublisher, CentralSource, CENTRAL_SOURCE, centralKey, encodeMeta, decodeMeta } from './sources/central-nats.ts';
export { EnrichmentConfigError, MetadataDecodeError, CriError } from './errors.ts';

const factory: StageFactory = () => new EnrichmentStage();
export default factory;
