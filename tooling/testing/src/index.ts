/**
 * @krunbox/testing (private): what several packages' tests share. A static busybox to build
 * rootfs and images from, a local OCI registry (distribution's `docker-registry`) with a token
 * server and a cutting proxy, an OCI layout and tar writer, the test images, temp dirs that are
 * always removed, a mount-point oracle, and the rule for skipping a test (never under CI, but for
 * the documented PVM case).
 *
 * @since 0.1.0
 */
export * from "./busybox.js"
export * from "./image/fixtures.js"
export * from "./image/harness.js"
export * from "./image/ociLayout.js"
export * from "./image/registry.js"
export * from "./image/scriptedRegistry.js"
export * from "./image/tarWriter.js"
export * from "./mounts.js"
export * from "./prerequisites.js"
