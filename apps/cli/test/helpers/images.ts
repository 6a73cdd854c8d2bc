/**
 * The SDK's image test fixtures, shared rather than copied: a loopback `docker-registry`, OCI
 * layouts built from busybox-static, and `skopeo` to push them. Those modules import only
 * node builtins and each other, so they resolve from here without any build step.
 */
export { busyboxAmd64, fakeArm64, runnableBusybox } from "../../../../packages/sdk/test/image/support/fixtures.js"
export { makeTempDir, registrySkipReason, removeDir } from "../../../../packages/sdk/test/image/support/harness.js"
export { buildLayout, type ImageSpec } from "../../../../packages/sdk/test/image/support/ociLayout.js"
export { pushLayout, type RunningRegistry, startRegistry } from "../../../../packages/sdk/test/image/support/registry.js"
