import { DynamicModule, Global, Module, ModuleMetadata, Provider } from '@nestjs/common';
import { EXPERIMENT_SOURCE, ExperimentSource } from './arm-assignment';
import type { BundleBackend, RecommendationBackend } from './serving-queries';

/** Injection tokens of the backends the gateway serves from. */
export const RECOMMENDATION_BACKEND = Symbol('RECOMMENDATION_BACKEND');
export const BUNDLE_BACKEND = Symbol('BUNDLE_BACKEND');

type BackendProvider<T> = { readonly useValue: T } | { readonly useExisting: abstract new (...args: never[]) => T };

/**
 * Names the process's backends: remote clients in a gateway of its own, or
 * the scorer and bundler themselves (useExisting) when they share the process.
 * Without `bundles`, Bundle answers UNIMPLEMENTED; without `experiments`,
 * nobody is in an experiment.
 */
@Global()
@Module({})
export class ServingBackendsModule {
  static forRoot(backends: {
    readonly imports?: ModuleMetadata['imports'];
    readonly recommendation: BackendProvider<RecommendationBackend>;
    readonly bundles?: BackendProvider<BundleBackend>;
    readonly experiments?: BackendProvider<ExperimentSource>;
  }): DynamicModule {
    const providers: Provider[] = [{ provide: RECOMMENDATION_BACKEND, ...backends.recommendation }];
    if (backends.bundles) providers.push({ provide: BUNDLE_BACKEND, ...backends.bundles });
    if (backends.experiments) providers.push({ provide: EXPERIMENT_SOURCE, ...backends.experiments });
    return { module: ServingBackendsModule, imports: backends.imports ?? [], providers, exports: providers.map((p) => (p as { provide: symbol }).provide) };
  }
}
