/**
 * OCI images: references, registries, the local image store and per-run root file systems.
 *
 * @since 0.1.0
 */
export * from "./errors.js"
export * as ImageConfig from "./ImageConfig.js"
export * as ImageReference from "./ImageReference.js"
export {
  defaultCacheDir,
  type ImageInfo,
  ImageStore,
  type ImageStoreOptions,
  type LayerInfo,
  type PreparedRootfs,
  type PrepareOptions,
  type PullEvent,
  type PullOptions,
  prune,
  type PruneResult,
  type RemoveResult,
  type StoreUsage,
  usage
} from "./ImageStore.js"
export * as Platform from "./Platform.js"
export type { RootfsStrategy } from "./internal/runs.js"
