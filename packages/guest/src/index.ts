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
 * The binary layer of protocol v2: frames and fields.
 *
 * @since 0.1.0
 */
export * as Wire from "./Wire.js"
/**
 * The messages of protocol v2 as typed values.
 *
 * @since 0.1.0
 */
export * as Messages from "./Messages.js"
/**
 * Linux signal numbers, whatever the host's.
 *
 * @since 0.1.0
 */
export * as Signals from "./Signals.js"
/**
 * The host end of an agent connection: processes with their streams, signals, requests, shutdown.
 *
 * @since 0.1.0
 */
export { AgentClient, AgentProcess } from "./AgentClient.js"
/**
 * @since 0.1.0
 */
export type { AgentClientOptions, ConnectionEnd, Hello, ProcessEnd, RequestResult } from "./AgentClient.js"
/**
 * Where the init's C sources are and how to compile them.
 *
 * @since 0.1.0
 */
export * as InitSources from "./InitSources.js"
