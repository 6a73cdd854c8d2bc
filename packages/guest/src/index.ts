/**
 * @krunbox/guest: what runs inside a krunbox microVM. The guest init's C sources (`native/`),
 * the description of their build, and the host-side codec of the control protocol they speak.
 *
 * @since 0.1.0
 */

/**
 * Decoding the guest init's control messages (`ready`, `error`, `exit`).
 *
 * @since 0.1.0
 */
export * as ControlProtocol from "./ControlProtocol.js"
/**
 * Where the init's C sources are and how to compile them.
 *
 * @since 0.1.0
 */
export * as InitSources from "./InitSources.js"
